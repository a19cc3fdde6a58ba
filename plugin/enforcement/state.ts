import type { EnforcementState } from '../common/wire.js';

/**
 * The desired-state rule (pure): a service's desired state changes only when the state or the
 * rate differ from what it is; then its version grows by one. Setting the same state again is a
 * no-op (no new version, no history), so dunning may repeat itself every night harmlessly.
 */
export type CauseKind = 'dunning' | 'staff' | 'fair_use' | 'payment';
export const CAUSE_KINDS: readonly CauseKind[] = ['dunning', 'staff', 'fair_use', 'payment'];

export interface Cause {
  kind: CauseKind;
  detail: string;
  actor: string;
}

export interface DesiredRow {
  serviceId: number;
  desired: EnforcementState;
  rate: string | null;
  version: number;
  cause: Cause;
  changedAt: Date;
}

export interface AppliedRow {
  applied: EnforcementState | null;
  appliedRate: string | null;
  appliedVersion: number | null;
  appliedAt: Date | null;
  error: string | null;
  device: string | null;
}

export type EnforcementRow = DesiredRow & AppliedRow;

/** A service never touched is active at version 0 (what the agent assumes too). */
export function initialRow(serviceId: number): EnforcementRow {
  return {
    serviceId,
    desired: 'active',
    rate: null,
    version: 0,
    cause: { kind: 'staff', detail: '', actor: '' },
    changedAt: new Date(0),
    applied: null,
    appliedRate: null,
    appliedVersion: null,
    appliedAt: null,
    error: null,
    device: null,
  };
}

/** Only a throttled service has a rate. */
export function normalRate(desired: EnforcementState, rate: string | null | undefined): string | null {
  return desired === 'throttled' ? (rate ?? null) : null;
}

/** The next row, or null when nothing changes. */
export function nextDesired(current: EnforcementRow | null, serviceId: number, desired: EnforcementState, rate: string | null, cause: Cause, now: Date): DesiredRow | null {
  const base = current ?? initialRow(serviceId);
  if (base.desired === desired && base.rate === rate) return null;
  return { serviceId, desired, rate, version: base.version + 1, cause, changedAt: now };
}

/** Confirmed: the agent applied the version we want now, without error. */
export function isConfirmed(row: Pick<EnforcementRow, 'version' | 'appliedVersion' | 'error'>): boolean {
  return row.appliedVersion === row.version && row.error === null;
}

/** RouterOS rate-limit text: rx[/tx] with optional k/M/G, and optional burst parts. */
export const RATE_PATTERN = /^\d+(\.\d+)?[kKMG]?(\/\d+(\.\d+)?[kKMG]?)?( [0-9kKMG/. ]+)?$/;
