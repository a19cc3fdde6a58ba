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
/** Human-readable decimal size (1 GB = 10^9 bytes, as ISPs sell it), rounded half up to 2 places. */
export function formatBytes(n: bigint): string {
  if (n < 1000n) return `${n} B`;
  let unit = 1;
  // Hundredths of the unit, in bigint: no float rounding near 2^53 or at a unit boundary.
  let hundredths = (n * 100n + 500n) / 1000n;
  while (hundredths >= 100_000n && unit < UNITS.length - 1) {
    hundredths = (hundredths + 500n) / 1000n;
    unit++;
  }
  const whole = hundredths / 100n;
  const frac = (hundredths % 100n).toString().padStart(2, '0');
  return `${whole}.${frac} ${UNITS[unit]}`;
}
