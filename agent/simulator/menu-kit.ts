import { parseBool, parseDuration } from './format.js';
import type { RouterModel, Session } from './model.js';

/** What a simulated menu is made of, and the argument checks all menus share. */

export type Row = Record<string, string>;

/** A `!trap` to send; `category` is left out when RouterOS sends none (or none is documented). */
export class Trap extends Error {
  constructor(
    message: string,
    readonly category?: number,
  ) {
    super(message);
  }
}

type FieldKind = 'string' | 'bool' | 'duration';
export type Fields = Record<string, FieldKind>;

export interface Menu {
  rows(model: RouterModel): Row[];
  /** Fields accepted by add/set (besides `.id`). */
  fields?: Fields;
  /** Item lookup by name in `.id` (some menus accept names, API7 / NOTES). */
  nameKey?: string;
  add?(model: RouterModel, attrs: Map<string, string>): number;
  set?(model: RouterModel, id: number, attrs: Map<string, string>): void;
  remove?(model: RouterModel, id: number): void;
  /** `set` on a single-item menu (no `.id`). */
  setSingle?(model: RouterModel, attrs: Map<string, string>): void;
}

export function str(attrs: Map<string, string>, key: string, fallback = ''): string {
  return attrs.get(key) ?? fallback;
}

/** Validates a boolean argument; the trap text follows the API7 example for a bad value (category 1). */
export function boolArg(attrs: Map<string, string>, key: string): boolean | undefined {
  const v = attrs.get(key);
  if (v === undefined) return undefined;
  const b = parseBool(v);
  if (b === null) throw new Trap(`input does not match any value of ${key}`, 1);
  return b;
}

export function durationArg(attrs: Map<string, string>, key: string): number | null | undefined {
  const v = attrs.get(key);
  if (v === undefined) return undefined;
  if (v === '' || v === 'none') return null;
  const d = parseDuration(v);
  if (d === null) throw new Trap(`value of ${key} must be a time interval`, 1);
  return d;
}

/** UNCERTAIN (reference §6: "missing required argument: no source found"); our choice of text. */
export function required(attrs: Map<string, string>, key: string): string {
  const v = attrs.get(key);
  if (v === undefined || v === '') throw new Trap(`missing value(s) of argument(s) ${key}`, 1);
  return v;
}

export function optional(row: Row, key: string, value: string): void {
  if (value !== '') row[key] = value;
}

export function sessionCounters(model: RouterModel, s: Session): { down: bigint; up: bigint } {
  const now = model.nowMs();
  return { down: s.download.value(now), up: s.upload.value(now) };
}

/** Rough packet counts for realism; nothing reads them for billing. */
export function packets(bytes: bigint): string {
  return String(bytes / 1000n);
}
