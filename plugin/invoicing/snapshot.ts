import { Dec } from '../common/money.js';
import type { RatedDocument } from '../rating/index.js';
import type { Branding, Party } from './document/invoice-view.js';
import type { DocumentType } from './invoice.js';

/**
 * What an issued document is, in full: the rated lines, usage, taxes and totals, and every
 * input of its rendering (parties, branding, terms, zone). Stored as one JSON text at issue
 * (invoices.document) with its SHA-256, so the HTML and the PDF of an issued invoice come out
 * the same on every render, whatever the settings have become since.
 *
 * The codec keeps types exactly: bigints as {"$big": "…"}, decimals as {"$dec": "…"} (full
 * precision), so no amount or byte count ever passes through a float.
 */
export interface InvoiceSnapshot {
  type: DocumentType;
  number: string;
  accountId: number;
  periodKey: string;
  currency: string;
  timezone: string;
  paymentTermsDays: number;
  seller: Party;
  buyer: Party;
  branding: Partial<Branding>;
  document: RatedDocument;
  /** The service each line belongs to (null: an account-level item), by line index. */
  lineServices: Array<number | null>;
  /** For a credit note: the invoice it corrects. */
  corrects: { id: string; number: string } | null;
  notes: string[];
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function encodeValue(v: unknown): Json {
  if (typeof v === 'bigint') return { $big: v.toString() };
  if (Dec.isDecimal(v)) return { $dec: (v as Dec).toFixed() };
  if (Array.isArray(v)) return v.map(encodeValue);
  if (v === null || v === undefined) return null;
  if (typeof v === 'object') {
    // Object.fromEntries makes own properties whatever the key: `out[k] = x` with k "__proto__"
    // would set the prototype instead, and the key would vanish from the text.
    return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, encodeValue(x)]));
  }
  if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new RangeError(`a snapshot holds no fractional or unsafe number (${v}): use a decimal`);
  return v as Json;
}

export function decodeValue(v: Json): unknown {
  if (Array.isArray(v)) return v.map(decodeValue);
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === '$big') return BigInt(v.$big as string);
    if (keys.length === 1 && keys[0] === '$dec') return new Dec(v.$dec as string);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decodeValue(x)]));
  }
  return v;
}

export function encodeSnapshot(s: InvoiceSnapshot): string {
  return stringifyEncoded(s);
}

/**
 * `JSON.stringify(encodeValue(v))` in one pass, character for character the same text (a unit
 * property test holds the two together), without building the encoded copy of the tree first:
 * encoding every issued document was a tenth of a billing run's CPU.
 */
export function stringifyEncoded(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `{"$big":"${v.toString()}"}`;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new RangeError(`a snapshot holds no fractional or unsafe number (${v}): use a decimal`);
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v === null || v === undefined) return 'null';
  if (Dec.isDecimal(v)) return `{"$dec":"${(v as Dec).toFixed()}"}`;
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i ? ',' : '') + stringifyEncoded(v[i]);
    return `${out}]`;
  }
  if (typeof v === 'object') {
    let out = '{';
    let first = true;
    for (const k of Object.keys(v)) {
      const x = (v as Record<string, unknown>)[k];
      if (x === undefined) continue;
      out += `${first ? '' : ','}${JSON.stringify(k)}:${stringifyEncoded(x)}`;
      first = false;
    }
    return `${out}}`;
  }
  throw new TypeError(`a snapshot holds no ${typeof v}`);
}

export function decodeSnapshot(text: string): InvoiceSnapshot {
  return decodeValue(JSON.parse(text) as Json) as InvoiceSnapshot;
}
