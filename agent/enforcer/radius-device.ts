import type { Logger } from '../../plugin/common/logger.js';
import type { EnforcementItem, EnforcementState } from '../../plugin/common/wire.js';
import { supportedAddress, type DynamicAuthAnswer, type DynamicAuthClient, type DynamicAuthTarget } from './radius-coa.js';
import { DeviceUnreachableError, type DeviceResult, type EnforcementDevice } from './types.js';

export interface OpenSessionRef {
  sessionId: string;
  framedIp?: string;
}

export interface RadiusDeviceOptions {
  name: string;
  target: DynamicAuthTarget;
  client: DynamicAuthClient;
  /** The NAS's open sessions of a login, as accounting reported them (agent/radius session book). */
  sessions: (nas: string, login: string) => OpenSessionRef[];
  /** What was last applied for a service (the enforcer's state), to know what a restore undoes. */
  previous: (serviceId: number) => EnforcementState | null;
  throttle: 'radius' | 'none';
  suspend: 'radius' | 'none';
  restoreRateLimit?: string;
  logger: Logger;
}

/**
 * Enforcement on a NAS by RFC 5176: suspend = Disconnect-Request (the AAA server, reading Octet's
 * desired state, refuses the next login); throttle = CoA-Request with Mikrotik-Rate-Limit;
 * restore from throttled = CoA with `restoreRateLimit`, or a Disconnect so the next login gets
 * the normal rate; restore from suspended sends nothing (the next login is accepted).
 * A NAS keeps no state we can read back, so it is not observable: reconciliation re-sends only
 * what was not applied.
 */
export class RadiusDevice implements EnforcementDevice {
  readonly name: string;
  readonly observable = false;

  constructor(private readonly o: RadiusDeviceOptions) {
    this.name = o.name;
  }

  async enforce(items: readonly EnforcementItem[]): Promise<DeviceResult> {
    const outcomes = new Map<number, string | null>();
    const changed = new Set<number>();
    let changes = 0;
    let timeouts = 0;
    if (!supportedAddress(this.o.target.address)) {
      for (const item of items) outcomes.set(item.serviceId, `${this.name}: Disconnect/CoA to an IPv6 address is not supported yet`);
      return { outcomes, changes, changed };
    }
    for (const item of items) {
      const step = this.stepFor(item);
      if (step === null) {
        outcomes.set(item.serviceId, null);
        continue;
      }
      if (typeof step === 'string') {
        outcomes.set(item.serviceId, step);
        continue;
      }
      const sessions = this.o.sessions(this.name, item.login);
      // Without a known session, User-Name alone identifies it (RFC 5176 §3).
      const targets: OpenSessionRef[] = sessions.length > 0 ? sessions : [{ sessionId: '' }];
      let error: string | null = null;
      for (const s of targets) {
        const answer = await this.o.client.send(step.kind, this.o.target, {
          userName: item.login,
          ...(s.sessionId ? { sessionId: s.sessionId } : {}),
          ...(s.framedIp ? { framedIp: s.framedIp } : {}),
          ...(step.rate ? { rateLimit: step.rate } : {}),
        });
        changes++;
        error ??= describe(step.kind, answer);
        if (answer.kind === 'timeout') timeouts++;
      }
      outcomes.set(item.serviceId, error);
      if (error === null) changed.add(item.serviceId);
      else this.o.logger.warn('enforcer: NAS did not apply', { nas: this.name, serviceId: item.serviceId, error });
    }
    // Every request unanswered: the NAS is down or drops us; retried with backoff like a router.
    if (changes > 0 && timeouts === changes) throw new DeviceUnreachableError(`${this.name}: no answer from ${this.o.target.address}:${this.o.target.port}`);
    return { outcomes, changes, changed };
  }

  async close(): Promise<void> {}

  /** null: nothing to send; a string: cannot be done here; else the request to send. */
  private stepFor(item: EnforcementItem): { kind: 'disconnect' | 'coa'; rate?: string } | string | null {
    if (item.desired === 'suspended') return this.o.suspend === 'radius' ? { kind: 'disconnect' } : null;
    if (item.desired === 'throttled') {
      if (this.o.throttle !== 'radius') return null;
      return item.rate ? { kind: 'coa', rate: item.rate } : 'throttled without a rate';
    }
    if (this.o.previous(item.serviceId) !== 'throttled' || this.o.throttle !== 'radius') return null;
    return this.o.restoreRateLimit ? { kind: 'coa', rate: this.o.restoreRateLimit } : { kind: 'disconnect' };
  }
}

function describe(kind: 'disconnect' | 'coa', a: DynamicAuthAnswer): string | null {
  const name = kind === 'disconnect' ? 'Disconnect' : 'CoA';
  if (a.kind === 'ack') return null;
  if (a.kind === 'timeout') return `${name}-Request: no answer from the NAS`;
  return `${name}-NAK: nothing changed (Error-Cause ${a.errorCause ?? 'not given'})`;
}
