import { Decimal } from 'decimal.js';
import { ValidationError } from './errors.js';

/**
 * The money kernel. Rules:
 * - An amount is an integer number of the currency's minor units, held in a bigint; a float never
 *   holds money (no `Number(x)`, no `parseFloat`).
 * - The minor unit is the ISO 4217 exponent of the currency (JPY and KRW 0, USD/EUR/GBP 2,
 *   KWD/BHD/OMR/JOD/TND/LYD/IQD 3, CLF and UYW 4). An unknown code is a ValidationError naming it.
 * - Intermediate values are decimals (`Dec`, decimal.js with 80 significant digits, enough for
 *   2^64 bytes divided by 1024^4 without losing a digit) and are rounded to minor units exactly
 *   once, when an amount becomes a line: `toMinor`.
 * - Rounding rules, by name: `half-up` (the default: a half goes away from zero, 2.345 -> 2.35,
 *   -2.345 -> -2.35), `half-even` (a half goes to the even neighbour, 2.345 -> 2.34, banker's
 *   rounding), `up` (any remainder goes away from zero), `down` (any remainder is dropped,
 *   towards zero).
 */

/** Decimal with the precision rating needs; every rating module builds its decimals from this. */
export const Dec = Decimal.clone({ precision: 80, rounding: Decimal.ROUND_HALF_UP, toExpNeg: -100, toExpPos: 100 });
export type Dec = Decimal;

export const ROUNDING_RULES = ['half-up', 'half-even', 'up', 'down'] as const;
export type RoundingRule = (typeof ROUNDING_RULES)[number];

const DECIMAL_ROUNDING: Record<RoundingRule, Decimal.Rounding> = {
  'half-up': Decimal.ROUND_HALF_UP,
  'half-even': Decimal.ROUND_HALF_EVEN,
  up: Decimal.ROUND_UP,
  down: Decimal.ROUND_DOWN,
};

/**
 * ISO 4217 minor-unit exponents of the active currencies (list of 2024). Codes with an exponent
 * of 2 are the rule; the others are spelled out.
 */
const EXPONENT_0 = ['BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI', 'VND', 'VUV', 'XAF', 'XOF', 'XPF'];
const EXPONENT_3 = ['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND'];
const EXPONENT_4 = ['CLF', 'UYW'];
const EXPONENT_2 = [
  'AED', 'AFN', 'ALL', 'AMD', 'ANG', 'AOA', 'ARS', 'AUD', 'AWG', 'AZN', 'BAM', 'BBD', 'BDT', 'BGN', 'BMD', 'BND', 'BOB',
  'BOV', 'BRL', 'BSD', 'BTN', 'BWP', 'BYN', 'BZD', 'CAD', 'CDF', 'CHE', 'CHF', 'CHW', 'CNY', 'COP', 'COU', 'CRC', 'CUP',
  'CVE', 'CZK', 'DKK', 'DOP', 'DZD', 'EGP', 'ERN', 'ETB', 'EUR', 'FJD', 'FKP', 'GBP', 'GEL', 'GHS', 'GIP', 'GMD', 'GTQ',
  'GYD', 'HKD', 'HNL', 'HTG', 'HUF', 'IDR', 'ILS', 'INR', 'IRR', 'JMD', 'KES', 'KGS', 'KHR', 'KPW', 'KYD', 'KZT', 'LAK',
  'LBP', 'LKR', 'LRD', 'LSL', 'MAD', 'MDL', 'MGA', 'MKD', 'MMK', 'MNT', 'MOP', 'MRU', 'MUR', 'MVR', 'MWK', 'MXN', 'MXV',
  'MYR', 'MZN', 'NAD', 'NGN', 'NIO', 'NOK', 'NPR', 'NZD', 'PAB', 'PEN', 'PGK', 'PHP', 'PKR', 'PLN', 'QAR', 'RON', 'RSD',
  'RUB', 'SAR', 'SBD', 'SCR', 'SDG', 'SEK', 'SGD', 'SHP', 'SLE', 'SOS', 'SRD', 'SSP', 'STN', 'SVC', 'SYP', 'SZL', 'THB',
  'TJS', 'TMT', 'TOP', 'TRY', 'TTD', 'TWD', 'TZS', 'UAH', 'USD', 'USN', 'UYU', 'UZS', 'VED', 'VES', 'WST', 'XCD', 'YER',
  'ZAR', 'ZMW', 'ZWG',
];

const EXPONENTS: ReadonlyMap<string, number> = new Map([
  ...EXPONENT_0.map((c) => [c, 0] as const),
  ...EXPONENT_2.map((c) => [c, 2] as const),
  ...EXPONENT_3.map((c) => [c, 3] as const),
  ...EXPONENT_4.map((c) => [c, 4] as const),
]);

export function isKnownCurrency(code: string): boolean {
  return EXPONENTS.has(code);
}

/** The ISO 4217 exponent of `code` (upper case, e.g. `EUR`); throws for a code it does not know. */
export function currencyExponent(code: string): number {
  const e = EXPONENTS.get(code);
  if (e === undefined) {
    throw new ValidationError(`unknown currency ${JSON.stringify(code)}: use an ISO 4217 code such as EUR, USD, JPY or KWD`, [
      { field: 'currency', message: `unknown ISO 4217 currency code ${JSON.stringify(code)}` },
    ]);
  }
  return e;
}

/** Reads a decimal written as text ("12.5", "-0.001"); a number type is refused so no float slips in. */
export function decimal(text: string | bigint | Decimal): Decimal {
  if (typeof text === 'bigint') return new Dec(text.toString());
  if (Decimal.isDecimal(text)) return new Dec(text);
  if (typeof text !== 'string') throw new TypeError(`money is read from text, not from a ${typeof text}`);
  if (!/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new RangeError(`not a decimal number: ${JSON.stringify(text)}`);
  return new Dec(text);
}

/** Rounds an amount in major units (e.g. 12.345 EUR) to minor units (1235n), once, by `rule`. */
export function toMinor(amount: Decimal, currency: string, rule: RoundingRule = 'half-up'): bigint {
  return roundToInteger(new Dec(amount).times(new Dec(10).pow(currencyExponent(currency))), rule);
}

/** A decimal already in minor units (a tax on 1999 cents: 379.81) rounded to a whole one, by `rule`. */
export function roundToInteger(value: Decimal, rule: RoundingRule = 'half-up'): bigint {
  return BigInt(new Dec(value).toDecimalPlaces(0, DECIMAL_ROUNDING[rule]).toFixed(0));
}

/** Minor units as an exact decimal of major units (1235n EUR -> 12.35). */
export function fromMinor(minor: bigint, currency: string): Decimal {
  return new Dec(minor.toString()).div(new Dec(10).pow(currencyExponent(currency)));
}

/**
 * round(numerator / denominator) in integers, by `rule`: the proration helper, so that
 * fee x days / period never passes through a decimal at all.
 */
export function divRound(numerator: bigint, denominator: bigint, rule: RoundingRule = 'half-up'): bigint {
  if (denominator === 0n) throw new RangeError('division by zero');
  if (denominator < 0n) return divRound(-numerator, -denominator, rule);
  const negative = numerator < 0n;
  const n = negative ? -numerator : numerator;
  let q = n / denominator;
  const r = n % denominator;
  if (r !== 0n) {
    const twice = r * 2n;
    const roundAway =
      rule === 'up' ||
      (rule === 'half-up' && twice >= denominator) ||
      (rule === 'half-even' && (twice > denominator || (twice === denominator && q % 2n === 1n)));
    if (roundAway) q += 1n;
  }
  return negative ? -q : q;
}

/** Minor units printed with the currency's exponent: 123450n EUR -> "1234.50", 5n KWD -> "0.005", -7n JPY -> "-7". */
export function formatMinor(minor: bigint, currency: string): string {
  const exponent = currencyExponent(currency);
  const sign = minor < 0n ? '-' : '';
  const digits = (minor < 0n ? -minor : minor).toString();
  if (exponent === 0) return sign + digits;
  const padded = digits.padStart(exponent + 1, '0');
  return `${sign}${padded.slice(0, -exponent)}.${padded.slice(-exponent)}`;
}

/** "1234.50 EUR": the display form the invoice lines and the CLI use. */
export function formatMoney(minor: bigint, currency: string): string {
  return `${formatMinor(minor, currency)} ${currency}`;
}
