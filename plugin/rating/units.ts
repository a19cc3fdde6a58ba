import { Dec } from '../common/money.js';

/**
 * Billable units (pure). Rules:
 * - Bytes are integers (bigint); a unit is an exact number of bytes: kB, MB, GB, TB are powers of
 *   1000 (as ISPs sell traffic), KiB, MiB, GiB, TiB powers of 1024. The invoice says which.
 * - Units are exact decimals of bytes / unit size (a power of 2 divides into a terminating
 *   decimal, so 1 byte is 0.0009765625 KiB, nothing rounded).
 * - The tariff says which traffic counts: `download` (what the subscriber receives), `upload`,
 *   or `both` (their sum).
 */

export const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'KiB', 'MiB', 'GiB', 'TiB'] as const;
export type Unit = (typeof UNITS)[number];

export const UNIT_BYTES: Readonly<Record<Unit, bigint>> = {
  B: 1n,
  kB: 1000n,
  MB: 1000n ** 2n,
  GB: 1000n ** 3n,
  TB: 1000n ** 4n,
  KiB: 1024n,
  MiB: 1024n ** 2n,
  GiB: 1024n ** 3n,
  TiB: 1024n ** 4n,
};

/** What the invoice prints after the quantity. */
export function unitLabel(unit: Unit): string {
  if (unit === 'B') return 'bytes';
  const base = unit.endsWith('iB') ? '1024' : '1000';
  const power = { k: 1, K: 1, M: 2, G: 3, T: 4 }[unit[0] as 'k' | 'K' | 'M' | 'G' | 'T'];
  return `${unit} (${base}^${power} bytes)`;
}

export const DIRECTIONS = ['download', 'upload', 'both'] as const;
export type Direction = (typeof DIRECTIONS)[number];

export interface Traffic {
  download: bigint;
  upload: bigint;
}

/** The bytes that count for a tariff billing `direction`. */
export function countedBytes(traffic: Traffic, direction: Direction): bigint {
  if (direction === 'download') return traffic.download;
  if (direction === 'upload') return traffic.upload;
  return traffic.download + traffic.upload;
}

/** Bytes (whole, or weighted by a time band) as exact units. */
export function bytesToUnits(bytes: bigint | Dec, unit: Unit): Dec {
  return new Dec(typeof bytes === 'bigint' ? bytes.toString() : bytes).div(UNIT_BYTES[unit].toString());
}

/** Units back to bytes (a cap or an allowance compared with bytes); may be fractional. */
export function unitsToBytes(units: Dec, unit: Unit): Dec {
  return new Dec(units).times(UNIT_BYTES[unit].toString());
}
