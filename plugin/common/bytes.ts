/** Byte counters are unsigned 64-bit integers: bigint in code, BIGINT in the database. */
export const TWO_32 = 1n << 32n;
export const MAX_U64 = (1n << 64n) - 1n;

/** RFC 2869: total = Acct-*-Gigawords * 2^32 + Acct-*-Octets. */
export function combineGigawords(gigawords: number | bigint | undefined, octets: number | bigint | undefined): bigint {
  return BigInt(gigawords ?? 0) * TWO_32 + BigInt(octets ?? 0);
}

/** Database drivers hand BIGINT back as string or number; accept both, never a float. */
export function toBigInt(value: string | number | bigint | null | undefined): bigint {
  if (value === null || value === undefined) return 0n;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`unsafe integer from database: ${value}`);
    return BigInt(value);
  }
  if (!/^-?\d+$/.test(value)) throw new RangeError(`not an integer: ${value}`);
  return BigInt(value);
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB', 'EB'];
/** Human-readable decimal size (1 GB = 10^9 bytes, as ISPs sell it). */
export function formatBytes(n: bigint): string {
  let unit = 0;
  let whole = n;
  let scaled = Number(n);
  while (whole >= 1000n && unit < UNITS.length - 1) {
    whole /= 1000n;
    scaled /= 1000;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${scaled.toFixed(2)} ${UNITS[unit]}`;
}
