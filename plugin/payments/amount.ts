import { ValidationError } from '../common/errors.js';
import { currencyExponent } from '../common/money.js';

/**
 * A payment's amount as staff type it: decimal text in the account's currency ("12.50" EUR,
 * "1500" JPY, "1.250" KWD), turned into minor units without a float. More decimals than the
 * currency has is refused rather than rounded: a payment is what was received, exactly.
 */
export function amountFromText(text: string, currency: string, field = 'amount'): bigint {
  const exponent = currencyExponent(currency);
  const v = text.trim();
  const m = /^(\d{1,15})(?:\.(\d+))?$/.exec(v);
  if (!m) throw invalid(field, v.startsWith('-') ? 'must be positive' : `must be an amount such as ${exponent ? `12.${'5'.padEnd(exponent, '0')}` : '1500'}`);
  const fraction = m[2] ?? '';
  if (fraction.length > exponent) throw invalid(field, exponent === 0 ? `${currency} has no minor unit: give a whole amount` : `${currency} has ${exponent} decimals at most`);
  const minor = BigInt(m[1]! + fraction.padEnd(exponent, '0'));
  if (minor <= 0n) throw invalid(field, 'must be more than zero');
  return minor;
}

/** An amount in minor units as an API sends it: an integer in a string, more than zero. */
export function amountFromMinorText(value: unknown, field = 'amountMinor'): bigint {
  if (typeof value !== 'string' || !/^\d{1,18}$/.test(value)) throw invalid(field, 'must be a whole number of minor units, as a string (EUR 12.50 is "1250")');
  const minor = BigInt(value);
  if (minor <= 0n) throw invalid(field, 'must be more than zero');
  return minor;
}

function invalid(field: string, message: string): ValidationError {
  return new ValidationError(`${field} ${message}`, [{ field, message }]);
}
