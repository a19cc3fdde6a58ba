import { hash } from 'node:crypto';
import { combineGigawords } from '../../plugin/common/bytes.js';
import { MAX_OCTETS, type SessionObservation } from '../../plugin/common/wire.js';
import type { AttributeMap, AttributeValue } from './codec.js';

/**
 * What an Accounting-Request means, as plain values (RFC 2866, RFC 2869). Pure: time comes in as
 * the packet's arrival.
 */

/** Which octet counter is the subscriber's download: 'rfc' = Acct-Output-Octets (RFC 2866 §5.4). */
export type Direction = 'rfc' | 'swapped';

export type SessionStatus = 'start' | 'interim' | 'stop';

export interface SessionEvent {
  kind: 'session';
  status: SessionStatus;
  sessionId: string;
  login: string;
  observedAt: Date;
  sessionStart: Date | null;
  download: bigint;
  upload: bigint;
  framedIp?: string;
  callerId?: string;
  terminateCause?: string;
}

export interface NasEvent {
  kind: 'nas';
  status: 'on' | 'off';
  observedAt: Date;
}

export interface UnusableEvent {
  kind: 'unusable';
  reason: 'unsupported-status' | 'missing-session-id' | 'missing-user-name';
}

export type AccountingEvent = SessionEvent | NasEvent | UnusableEvent;

const STATUS: Record<string, SessionStatus | 'on' | 'off'> = {
  Start: 'start',
  'Interim-Update': 'interim',
  Stop: 'stop',
  'Accounting-On': 'on',
  'Accounting-Off': 'off',
};

export function interpretAccounting(attrs: AttributeMap, direction: Direction, arrival: Date): AccountingEvent {
  const status = STATUS[String(first(attrs['Acct-Status-Type']))];
  if (!status) return { kind: 'unusable', reason: 'unsupported-status' };
  const observedAt = observedTime(attrs, arrival);
  if (status === 'on' || status === 'off') return { kind: 'nas', status, observedAt };

  const sessionId = text(attrs['Acct-Session-Id']);
  if (!sessionId) return { kind: 'unusable', reason: 'missing-session-id' };
  const login = text(attrs['User-Name']);
  if (!login) return { kind: 'unusable', reason: 'missing-user-name' };

  const input = combineGigawords(int(attrs['Acct-Input-Gigawords']), int(attrs['Acct-Input-Octets']));
  const output = combineGigawords(int(attrs['Acct-Output-Gigawords']), int(attrs['Acct-Output-Octets']));
  // Beyond 2^63-1 (what the plugin stores: SQLite's integers are signed) the counters are kept
  // as reported. Answering and dropping would lose the record unseen; refusing it would leave the
  // NAS retrying (a Stop for ever) with nothing visible in billing. Shipped as they are, the
  // plugin quarantines the record with its reason on the Agents page.
  const sessionTime = int(attrs['Acct-Session-Time']);
  const sessionStart =
    status === 'start'
      ? observedAt
      : sessionTime !== undefined
        ? new Date(observedAt.getTime() - sessionTime * 1000)
        : null;
  const event: SessionEvent = {
    kind: 'session',
    status,
    sessionId,
    login,
    observedAt,
    sessionStart,
    download: direction === 'rfc' ? output : input,
    upload: direction === 'rfc' ? input : output,
  };
  const framedIp = text(attrs['Framed-IP-Address']);
  if (framedIp) event.framedIp = framedIp;
  const callerId = text(attrs['Calling-Station-Id']);
  if (callerId) event.callerId = callerId.slice(0, 128);
  if (status === 'stop') {
    const cause = first(attrs['Acct-Terminate-Cause']);
    if (cause !== undefined) event.terminateCause = String(cause).slice(0, 64);
  }
  return event;
}

/** RFC 2866 §5.2 / RFC 2869 §5.3: the event happened Acct-Delay-Time seconds before it was sent. */
function observedTime(attrs: AttributeMap, arrival: Date): Date {
  const stamp = first(attrs['Event-Timestamp']);
  const base = stamp instanceof Date && !Number.isNaN(stamp.getTime()) ? stamp : arrival;
  const delay = int(attrs['Acct-Delay-Time']) ?? 0;
  return new Date(base.getTime() - delay * 1000);
}

function first(v: AttributeValue | undefined): AttributeValue | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function int(v: AttributeValue | undefined): number | undefined {
  const x = first(v);
  return typeof x === 'number' ? x : undefined;
}

function text(v: AttributeValue | undefined): string | undefined {
  const x = first(v);
  if (typeof x !== 'string') return undefined;
  // Some NASes pad strings with NULs; the wire format caps lengths at 253.
  const s = x.charCodeAt(x.length - 1) === 0 ? x.replace(/\0+$/, '') : x;
  return s.length > 0 ? s.slice(0, 253) : undefined;
}

/**
 * Identifies one request: the Request Authenticator is an MD5 over the whole packet and the
 * secret, so an identical retransmission yields the same key, and the record id derived from it
 * lets the plugin (and our own restart) recognise a record it already has.
 */
export function packetKey(nasName: string, identifier: number, authenticator: Buffer): string {
  return hash('md5', `${nasName}\0${identifier}\0${authenticator.toString('base64')}`, 'hex');
}

/**
 * What to do with a session event when the session has already ended (a Stop, or a close made up
 * on Accounting-On/Off). 'new': a Start after the end, the id reused for a new session. 'repeat':
 * nothing beyond the final counters, so answered and not recorded. 'later-counters': counters
 * beyond the final ones (a NAS's retry queue outliving an Accounting-On), recorded as an end, so
 * the session is not put back.
 */
export type AfterEnd = 'new' | 'repeat' | 'later-counters';

export function againstEnd(e: SessionEvent, end: { endedAt: number; down: string; up: string }): AfterEnd {
  if (e.status === 'start' && e.observedAt.getTime() > end.endedAt) return 'new';
  return e.download > BigInt(end.down) || e.upload > BigInt(end.up) ? 'later-counters' : 'repeat';
}

/** True when a counter is past what the plugin stores: the record will be quarantined there. */
export function beyondStorable(e: SessionEvent): boolean {
  return e.download > MAX_OCTETS || e.upload > MAX_OCTETS;
}

export function sessionObservation(nasName: string, recordId: string, e: SessionEvent, alreadyEnded = false): SessionObservation {
  const o: SessionObservation = {
    recordId,
    source: 'radius',
    sourceName: nasName,
    login: e.login,
    sessionId: e.sessionId,
    sessionStart: e.sessionStart ? e.sessionStart.toISOString() : null,
    observedAt: e.observedAt.toISOString(),
    downloadOctets: e.download.toString(),
    uploadOctets: e.upload.toString(),
    ended: e.status === 'stop' || alreadyEnded,
  };
  if (e.framedIp) o.framedIp = e.framedIp;
  if (e.callerId) o.callerId = e.callerId;
  if (e.terminateCause) o.terminateCause = e.terminateCause;
  return o;
}

/**
 * Accounting-On/Off: the NAS lost every session, so each open one ends with its last counters.
 * Octet makes these records up (the NAS reported no counters at that time): marked synthetic, so
 * the plugin never reads one as a reset or a new segment.
 */
export function closingObservations(
  key: string,
  event: NasEvent,
  open: Iterable<SessionObservation>,
): SessionObservation[] {
  const cause = event.status === 'on' ? 'Accounting-On' : 'Accounting-Off';
  const out: SessionObservation[] = [];
  for (const last of open) {
    const recordId = hash('md5', `${key}\0${last.sessionId}`, 'hex');
    out.push({ ...last, recordId, observedAt: event.observedAt.toISOString(), ended: true, synthetic: true, terminateCause: cause });
  }
  return out;
}
