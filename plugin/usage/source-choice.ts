import type { ObservationSource } from '../common/wire.js';

/**
 * One session is counted from one source only (pure). Where RADIUS accounting and router polling
 * both report a login in the same hour they see the same traffic, so the login's hour takes
 * RADIUS alone (accounting is what NASes are built to report, and it survives router restarts);
 * polling counts only where RADIUS saw nothing of that login in that hour.
 */
export interface SourceUsage {
  source: ObservationSource;
  download: bigint;
  upload: bigint;
}

export function chooseSource(rows: readonly SourceUsage[]): SourceUsage | null {
  const radius = rows.filter((r) => r.source === 'radius');
  const chosen = radius.length > 0 ? radius : rows.filter((r) => r.source === 'poll');
  if (chosen.length === 0) return null;
  return {
    source: chosen[0]!.source,
    download: chosen.reduce((a, r) => a + r.download, 0n),
    upload: chosen.reduce((a, r) => a + r.upload, 0n),
  };
}
