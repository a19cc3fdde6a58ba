import { currencyExponent, isKnownCurrency } from '../../common/money.js';

/**
 * Amounts as banks write them, read exactly into minor units: no float, no rounding. A bank never
 * writes more decimals than its currency has (12.345 EUR is a malformed line, not 12.35), so a
 * longer fraction is refused rather than rounded. Returns an error text instead of throwing so
 * that the caller can name the line and the column.
 */
export function exactMinor(text: string, currency: string, decimalSeparator: '.' | ',' = '.'): { minor: bigint } | { error: string } {
  if (!isKnownCurrency(currency)) return { error: `unknown currency ${JSON.stringify(currency)} (use an ISO 4217 code such as EUR)` };
  const thousands = decimalSeparator === '.' ? /[,'\u00a0 ]/g : /[.'\u00a0 ]/g;
  const cleaned = text.trim().replace(thousands, '');
  const m = new RegExp(`^([-+]?)(\\d+)(?:\\${decimalSeparator}(\\d*))?$`).exec(cleaned);
  if (!m) return { error: `${JSON.stringify(text)} is not an amount written with ${decimalSeparator === '.' ? 'a point' : 'a comma'} as decimal separator` };
  const exponent = currencyExponent(currency);
  const fraction = (m[3] ?? '').replace(/0+$/, '');
  if (fraction.length > exponent) return { error: `${JSON.stringify(text)} has more decimals than ${currency} has (${exponent})` };
  const minor = BigInt(m[2]! + fraction.padEnd(exponent, '0'));
  return { minor: m[1] === '-' ? -minor : minor };
}
