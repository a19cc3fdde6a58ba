import { currencyExponent, formatMinor, type Dec } from '../../common/money.js';

/**
 * How amounts are written on the document. Built from text, never from a float: the digits come
 * from formatMinor (integer minor units) and only the separators are swapped, so 1234567.891 KWD
 * prints every digit it has.
 */
export interface NumberFormat {
  decimalSeparator: string;
  groupSeparator: string;
  /** Where the currency code goes: "1.234,50 EUR" (after) or "EUR 1,234.50" (before). */
  currencyPosition: 'before' | 'after';
}

export const DEFAULT_NUMBER_FORMAT: NumberFormat = { decimalSeparator: '.', groupSeparator: ',', currencyPosition: 'after' };

/** Groups the integer part of a plain decimal string ("-1234567.5") and swaps the separators. */
export function formatDecimalText(text: string, nf: NumberFormat): string {
  const negative = text.startsWith('-');
  const body = negative ? text.slice(1) : text;
  const [int, frac] = body.split('.') as [string, string | undefined];
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, nf.groupSeparator);
  return (negative ? '-' : '') + grouped + (frac !== undefined && frac !== '' ? nf.decimalSeparator + frac : '');
}

/** An amount in minor units with the currency's ISO 4217 exponent: 0 digits for JPY, 3 for KWD. */
export function formatAmount(minor: bigint, currency: string, nf: NumberFormat): string {
  const n = formatDecimalText(formatMinor(minor, currency), nf);
  return nf.currencyPosition === 'before' ? `${currency} ${n}` : `${n} ${currency}`;
}

/** A unit price or a quantity (decimals): at least the currency's digits, trailing zeros beyond them dropped. */
export function formatDecimal(value: Dec, nf: NumberFormat, minDigits = 0, maxDigits = 6): string {
  let text = value.toDecimalPlaces(maxDigits).toFixed(maxDigits);
  if (maxDigits > 0) {
    const [int, frac] = text.split('.') as [string, string];
    let f = frac.replace(/0+$/, '');
    if (f.length < minDigits) f = f.padEnd(minDigits, '0');
    text = f ? `${int}.${f}` : int;
  }
  return formatDecimalText(text, nf);
}

export function unitPriceText(value: Dec, currency: string, nf: NumberFormat): string {
  const n = formatDecimal(value, nf, currencyExponent(currency), Math.max(6, currencyExponent(currency)));
  return nf.currencyPosition === 'before' ? `${currency} ${n}` : `${n} ${currency}`;
}
