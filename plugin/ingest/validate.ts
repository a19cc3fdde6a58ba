import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { sessionObservation, type ObservationSource, type RejectedRecord } from '../common/wire.js';

/**
 * Per-record checks of a batch (pure: time is an argument). A record that fails is rejected
 * with a reason and quarantined; the others go on.
 */
export interface ValidObservation {
  index: number;
  recordId: string;
  sessionKey: string;
  source: ObservationSource;
  sourceName: string;
  sessionId: string;
  login: string;
  sessionStartMs: number | null;
  observedAtMs: number;
  download: bigint;
  upload: bigint;
  ended: boolean;
  /** The agent made the record up (wire.ts); the counter rules treat it apart. */
  synthetic: boolean;
  framedIp: string | null;
}

/** One short key per session: source, router/NAS and the session id identify a session. */
export function sessionKeyOf(source: string, sourceName: string, sessionId: string): string {
  return createHash('sha1').update(`${source}\u0000${sourceName}\u0000${sessionId}`, 'utf8').digest('hex');
}

/** Problems named in one error message: an inventory of 200,000 bad entries must not become a 10 MB answer. */
export const MAX_DESCRIBED_ISSUES = 10;

export function describeIssues(error: z.ZodError): string {
  const shown = error.issues.slice(0, MAX_DESCRIBED_ISSUES).map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message));
  const more = error.issues.length - shown.length;
  return shown.join('; ') + (more > 0 ? `; and ${more} more problem(s)` : '');
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/**
 * The wire schema's 64-bit refinement calls BigInt() even after its regex failed (zod 4 runs
 * every check), which throws on "1.5". Such a record is still just invalid: say which field.
 */
function safeParseObservation(record: unknown): { success: true; data: z.output<typeof sessionObservation> } | { success: false; reason: string } {
  try {
    const parsed = sessionObservation.safeParse(record);
    return parsed.success ? { success: true, data: parsed.data } : { success: false, reason: describeIssues(parsed.error) };
  } catch (err) {
    const r = (record ?? {}) as Record<string, unknown>;
    const field = ['downloadOctets', 'uploadOctets'].find((f) => typeof r[f] !== 'string' || !DECIMAL.test(r[f] as string));
    return { success: false, reason: field ? `${field}: must be a non-negative integer in decimal` : `record could not be validated: ${(err as Error).message}` };
  }
}

export function checkRecords(
  records: readonly unknown[],
  options: { nowMs: number; futureToleranceMs: number },
): { valid: ValidObservation[]; rejected: RejectedRecord[] } {
  const valid: ValidObservation[] = [];
  const rejected: RejectedRecord[] = [];
  records.forEach((record, index) => {
    const parsed = safeParseObservation(record);
    if (!parsed.success) {
      const id = (record as { recordId?: unknown } | null)?.recordId;
      rejected.push({ recordId: typeof id === 'string' ? id.slice(0, 64) : null, index, reason: parsed.reason });
      return;
    }
    const r = parsed.data;
    const observedAtMs = Date.parse(r.observedAt);
    const sessionStartMs = r.sessionStart === null ? null : Date.parse(r.sessionStart);
    const download = BigInt(r.downloadOctets);
    const upload = BigInt(r.uploadOctets);
    const reason =
      observedAtMs > options.nowMs + options.futureToleranceMs ? 'observedAt: is in the future (check the agent\'s clock)'
      : sessionStartMs !== null && sessionStartMs > observedAtMs ? 'sessionStart: is after observedAt'
      : null;
    if (reason) {
      rejected.push({ recordId: r.recordId, index, reason });
      return;
    }
    valid.push({
      index,
      recordId: r.recordId,
      sessionKey: sessionKeyOf(r.source, r.sourceName, r.sessionId),
      source: r.source,
      sourceName: r.sourceName,
      sessionId: r.sessionId,
      login: r.login,
      sessionStartMs,
      observedAtMs,
      download,
      upload,
      ended: r.ended,
      synthetic: r.synthetic === true,
      framedIp: r.framedIp ?? null,
    });
  });
  return { valid, rejected };
}
