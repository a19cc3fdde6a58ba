import type { Tariff } from '../rating/index.js';

/** One version of a catalogue tariff: the rating value and the instant it takes effect (UTC ms). */
export interface TariffVersion {
  tariff: Tariff;
  effectiveFromMs: number;
}

/**
 * The version a billing period is rated with (pure). Rules:
 * - the latest version whose effective_from is at or before the period's start (versions with
 *   the same instant: the higher version number wins, so a re-edit supersedes);
 * - when the tariff was created after the period started, its first version: a service cannot
 *   be on a tariff that did not exist, so the first price is the only one there is.
 * So an edit (effective now) applies from the next period, and every invoice names the version.
 * `versions` are oldest first (by version number); an empty list is a programming error.
 */
export function versionAt(versions: TariffVersion[], ms: number): TariffVersion {
  if (versions.length === 0) throw new RangeError('a catalogue tariff has at least one version');
  let chosen: TariffVersion | null = null;
  for (const v of versions) {
    if (v.effectiveFromMs <= ms && (chosen === null || v.tariff.version >= chosen.tariff.version)) chosen = v;
  }
  return chosen ?? versions.reduce((a, b) => (b.tariff.version < a.tariff.version ? b : a));
}
