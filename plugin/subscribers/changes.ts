/** What an update really changes: only fields whose value differs, with before and after. */
export type Changes = Record<string, { from: unknown; to: unknown }>;

export function diffFields<T extends object>(before: T, patch: Partial<T>): Changes {
  const out: Changes = {};
  for (const [key, to] of Object.entries(patch)) {
    if (to === undefined) continue;
    const from = (before as Record<string, unknown>)[key] ?? null;
    if (from !== to) out[key] = { from, to };
  }
  return out;
}

/** The patch restricted to the fields that change (what gets written). */
export function changedValues(changes: Changes): Record<string, unknown> {
  return Object.fromEntries(Object.entries(changes).map(([k, v]) => [k, v.to]));
}

export function hasChanges(changes: Changes): boolean {
  return Object.keys(changes).length > 0;
}
