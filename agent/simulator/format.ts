/** RouterOS value formats (reference/routeros.md §8). */

/**
 * `1w2d3h4m5s`; zero parts are left out; zero is `0s`. Some versions printed `hh:mm:ss` (API7's
 * OID example); which ones is UNCERTAIN, so we always print the `1w2d…` form and parse both.
 */
export function formatDuration(totalSeconds: number): string {
  let s = Math.max(0, Math.floor(totalSeconds));
  if (s === 0) return '0s';
  const parts: string[] = [];
  for (const [unit, size] of [['w', 604800], ['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(s / size);
    if (n > 0) parts.push(`${n}${unit}`);
    s -= n * size;
  }
  return parts.join('');
}

/** Parses `1w2d3h4m5s` (and the old `hh:mm:ss`, optionally with a `Nd` prefix); null if neither. */
export function parseDuration(text: string): number | null {
  const m = /^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (m && text !== '') {
    const [, w, d, h, mi, s] = m;
    return Number(w ?? 0) * 604800 + Number(d ?? 0) * 86400 + Number(h ?? 0) * 3600 + Number(mi ?? 0) * 60 + Number(s ?? 0);
  }
  const c = /^(?:(\d+)d\s*)?(\d+):(\d{2}):(\d{2})$/.exec(text);
  if (c) return Number(c[1] ?? 0) * 86400 + Number(c[2]) * 3600 + Number(c[3]) * 60 + Number(c[4]);
  return null;
}

/** Replies use true/false (7.x captures); clients send yes/no or true/false. */
export function formatBool(b: boolean): string {
  return b ? 'true' : 'false';
}

export function parseBool(text: string): boolean | null {
  switch (text) {
    case 'yes':
    case 'true':
      return true;
    case 'no':
    case 'false':
      return false;
    default:
      return null;
  }
}

/** `*` and uppercase hex, as RouterOS prints item ids. */
export function formatId(n: number): string {
  return `*${n.toString(16).toUpperCase()}`;
}

/** v7 prints `2026-01-01 12:00:00`; v6 `jan/01/2026 12:00:00` (reference §8: switch version UNCERTAIN). */
export function formatDate(at: Date, v7: boolean): string {
  const iso = at.toISOString();
  const time = iso.slice(11, 19);
  if (v7) return `${iso.slice(0, 10)} ${time}`;
  const months = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
  return `${months[at.getUTCMonth()]}/${iso.slice(8, 10)}/${iso.slice(0, 4)} ${time}`;
}
