import { hash } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import type { Registry } from 'prom-client';
import type { Clock } from '../../plugin/common/clock.js';
import { errorMessage } from '../../plugin/common/errors.js';
import type { Logger } from '../../plugin/common/logger.js';
import type { SessionObservation } from '../../plugin/common/wire.js';
import { SpoolFullError } from '../spool/spool.js';
import type { ObservationSink } from '../types.js';
import {
  againstEnd,
  beyondStorable,
  closingObservations,
  interpretAccounting,
  packetKey,
  sessionObservation,
  type Direction,
  type SessionEvent,
} from './accounting.js';
import type { AttributeValue, DecodedPacket, RadiusCodec } from './codec.js';
import { readAccountingAttributes } from './attributes.js';
import {
  ACCOUNTING_ATTRIBUTES,
  CODE_ACCOUNTING_REQUEST,
  parseFrame,
  plainAccountingResponse,
  verifyAccountingRequest,
  withOnly,
  type Frame,
} from './frame.js';
import { LogLimiter } from './log-limiter.js';
import { registerRadiusMetrics, type DropReason, type RadiusMetrics } from './metrics.js';
import { RetransmitCache } from './retransmits.js';

export interface RadiusClient {
  name: string;
  address: string;
  secret: string;
  direction?: Direction;
}

/** The open-session table the server consults for Accounting-On/Off and feeds with durable records. */
export interface SessionTable {
  openFor(nasName: string): SessionObservation[];
  /** The session's end, if it ended (a Stop or a made-up close) within the memory period. */
  endedFor(nasName: string, sessionId: string): { endedAt: number; down: string; up: string } | undefined;
  apply(records: SessionObservation[]): void;
  readonly size: number;
}

export interface RadiusServerOptions {
  host: string;
  port: number;
  clients: RadiusClient[];
  /** NAS names whose sessions are counted by polling the router instead: answered, not recorded. */
  pollSourced?: ReadonlySet<string>;
  sink: ObservationSink;
  sessions: SessionTable;
  codec: RadiusCodec;
  clock: Clock;
  logger: Logger;
  registry?: Registry;
  retransmitWindowMs?: number;
  retransmitMaxEntries?: number;
  /** Record ids already in the spool (from the replay at start): their retransmissions are answered, not recorded. */
  knownRecordIds?: Iterable<string>;
}

interface Client {
  name: string;
  secret: string;
  secretBytes: Buffer;
  direction: Direction;
}

export type PacketOutcome = 'recorded' | 'ignored' | 'retransmit' | 'dropped';

/** Retransmissions held per request being written; a NAS resends every few seconds, so a few suffice. */
const MAX_HELD = 8;

/**
 * RADIUS accounting server (RFC 2866). Every packet goes: known source -> well-formed ->
 * authenticator -> retransmission check -> decode -> observations -> durable append -> answer.
 * Nothing is answered unless its records are on disk, so a NAS retries whatever we could not keep.
 */
export class RadiusAccountingServer {
  private socket: Socket | undefined;
  private readonly clients = new Map<string, Client>();
  private readonly retransmits: RetransmitCache;
  private readonly metrics: RadiusMetrics;
  private readonly limiter: LogLimiter;
  /**
   * Retransmissions of a request still being written, answered when its write completes (dropped
   * unanswered, the NAS would wait out its whole timeout before trying again: issue 12, item 15).
   */
  private readonly held = new Map<string, Array<(ok: boolean) => void>>();
  /** Packets being handled (their records on the way to disk): stop() lets them finish. */
  private inFlight = 0;
  private drained: (() => void) | undefined;
  /** Bound once: a closure per packet is garbage per packet. */
  private readonly reply = (response: Buffer, rinfo: Pick<RemoteInfo, 'address' | 'port'>): void => this.send(response, rinfo);
  private readonly onSent = (err: Error | null): void => {
    if (err) this.limiter.warn('send', 'radius: cannot send an Accounting-Response', { error: errorMessage(err) });
  };
  private readonly onHandled = (): void => {
    if (--this.inFlight === 0) this.drained?.();
  };
  private readonly onFailed = (err: unknown): void => {
    this.opts.logger.error('radius: unexpected error handling a packet', { error: errorMessage(err) });
    this.onHandled();
  };

  constructor(private readonly opts: RadiusServerOptions) {
    for (const c of opts.clients) {
      this.clients.set(normaliseAddress(c.address), {
        name: c.name,
        secret: c.secret,
        secretBytes: Buffer.from(c.secret, 'utf8'),
        direction: c.direction ?? 'rfc',
      });
    }
    this.retransmits = new RetransmitCache(
      opts.retransmitWindowMs ?? 30_000,
      opts.retransmitMaxEntries ?? 100_000,
      opts.clock.now().getTime(),
    );
    const now = opts.clock.now().getTime();
    for (const id of opts.knownRecordIds ?? []) this.retransmits.answered(id, now);
    this.metrics = registerRadiusMetrics(opts.registry, () => opts.sessions.size);
    this.limiter = new LogLimiter(opts.logger, opts.clock);
  }

  async start(): Promise<{ address: string; port: number }> {
    // The socket stays on this thread: moving it to a worker (answers and datagrams crossing in
    // batches) was measured and cost more CPU per request than the system calls it took away,
    // on the 2-core benchmark machine (issue 4).
    const socket = createSocket({ type: this.opts.host.includes(':') ? 'udp6' : 'udp4', lookup: literalLookup });
    socket.on('message', (msg, rinfo) => {
      this.inFlight++;
      this.handle(msg, rinfo).then(this.onHandled, this.onFailed);
    });
    socket.on('error', (err) => this.opts.logger.error('radius: socket error', { error: errorMessage(err) }));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.opts.port, this.opts.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    try {
      // NASes send in bursts (all of them after a BRAS reboot); a larger receive buffer rides
      // them out instead of dropping. The kernel may cap it (net.core.rmem_max).
      socket.setRecvBufferSize(8 * 1024 * 1024);
    } catch {
      // Keep the system default.
    }
    this.socket = socket;
    const addr = socket.address();
    this.opts.logger.info('radius: accounting server listening', { address: addr.address, port: addr.port });
    return { address: addr.address, port: addr.port };
  }

  /** Stops taking packets, lets those being written finish (and be answered), then closes. */
  async stop(): Promise<void> {
    const socket = this.socket;
    if (!socket) return;
    socket.removeAllListeners('message');
    if (this.inFlight > 0) await new Promise<void>((r) => (this.drained = r));
    this.socket = undefined;
    await new Promise<void>((r) => socket.close(() => r()));
  }

  /** One datagram, start to finish. Exposed for tests that drive the server without a socket. */
  async handle(msg: Buffer, rinfo: Pick<RemoteInfo, 'address' | 'port'>, reply = this.reply): Promise<PacketOutcome> {
    const client = this.clients.get(normaliseAddress(rinfo.address));
    if (!client) return this.drop('unknown-client', rinfo);
    const parsed = parseFrame(msg);
    if (!parsed.ok) return this.drop(parsed.reason, rinfo, client.name);
    const frame = parsed.frame;
    if (frame.code !== CODE_ACCOUNTING_REQUEST) return this.drop('unsupported-code', rinfo, client.name);
    if (!verifyAccountingRequest(msg, frame, client.secretBytes)) return this.drop('bad-authenticator', rinfo, client.name);

    const arrival = this.opts.clock.now();
    const now = arrival.getTime();
    const key = packetKey(client.name, frame.identifier, frame.authenticator);
    const seen = this.retransmits.lookup(key, now);

    // The common request is read directly (attributes.ts); the `radius` package decodes the rest.
    let attributes = readAccountingAttributes(msg, frame.length);
    let packet: DecodedPacket | undefined;
    if (!attributes) {
      try {
        packet = this.opts.codec.decodeVerified(withOnly(msg, frame.length, ACCOUNTING_ATTRIBUTES));
      } catch (err) {
        return this.drop('undecodable', rinfo, client.name, errorMessage(err));
      }
      attributes = packet.attributes;
    }
    if (seen === 'pending') return this.hold(key, undefined, frame, packet, client, rinfo, reply);
    if (seen === 'answered') {
      this.metrics.retransmits.inc();
      reply(this.response(frame, packet, client), rinfo);
      return 'retransmit';
    }

    const event = interpretAccounting(attributes, client.direction, arrival);
    // A NAS resending with a new Identifier (e.g. after updating Acct-Delay-Time) sends the same
    // event: same session, status, Event-Timestamp and counters. Recognised here, answered, not recorded.
    const sameEvent = event.kind === 'session' ? eventKey(client.name, event, attributes['Event-Timestamp']) : undefined;
    if (sameEvent) {
      const prior = this.retransmits.lookup(sameEvent, now);
      if (prior === 'pending') return this.hold(sameEvent, key, frame, packet, client, rinfo, reply);
      if (prior === 'answered') {
        this.metrics.retransmits.inc();
        this.retransmits.answered(key, now);
        reply(this.response(frame, packet, client), rinfo);
        return 'retransmit';
      }
    }
    // Counted once recognised as new: retransmissions, whether identical or resent with a new
    // Identifier, go to the retransmissions counter only.
    this.metrics.packet(event.kind === 'unusable' ? 'other' : event.status);
    let records: SessionObservation[] = [];
    if (event.kind === 'unusable') {
      this.metrics.ignored.inc({ reason: event.reason });
      this.limiter.warn(`ignored:${event.reason}`, 'radius: accounting answered but not recorded', {
        reason: event.reason,
        nas: client.name,
      });
    } else if (this.opts.pollSourced?.has(client.name)) {
      // One source per session: this router's sessions are counted by the poller.
      this.metrics.ignored.inc({ reason: 'poll-source' });
    } else if (event.kind === 'session') {
      // A session that ended stays ended: a late copy of an interim must not put it back.
      const end = this.opts.sessions.endedFor(client.name, event.sessionId);
      const verdict = end ? againstEnd(event, end) : 'new';
      if (verdict === 'repeat') this.metrics.ignored.inc({ reason: 'after-end' });
      else records = [sessionObservation(client.name, key, event, verdict === 'later-counters')];
      if (beyondStorable(event)) {
        this.metrics.beyondStorable.inc();
        this.limiter.warn('beyond-storable', 'radius: a counter past 2^63-1; recorded as reported, the plugin will quarantine it (Agents page)', {
          nas: client.name,
          sessionId: event.sessionId,
          download: event.download.toString(),
          upload: event.upload.toString(),
        });
      }
    } else {
      records = closingObservations(key, event, this.opts.sessions.openFor(client.name));
    }

    // One cache entry per request: the event's key when it has one (an identical retransmission
    // has the same event, so it is recognised just above), else the packet's. Half the entries of
    // keeping both, and so half the garbage the cache's turnover makes at high rates.
    const entry = sameEvent ?? key;
    if (records.length > 0) {
      this.retransmits.begin(entry);
      try {
        await this.opts.sink.append(records);
      } catch (err) {
        this.retransmits.abandon(entry);
        this.release(entry, false);
        return this.drop(err instanceof SpoolFullError ? 'spool-full' : 'spool-error', rinfo, client.name, errorMessage(err));
      }
      this.opts.sessions.apply(records);
      this.metrics.record(records.length);
    }
    const response = this.response(frame, packet, client);
    const answeredAt = this.opts.clock.now().getTime();
    this.retransmits.answered(entry, answeredAt);
    reply(response, rinfo);
    if (records.length > 0) this.release(entry, true);
    return records.length > 0 ? 'recorded' : 'ignored';
  }

  /**
   * Holds a retransmission of the request `entry` being written; it is answered (with its own
   * Identifier) once the write completes, or dropped if the write failed (the NAS tries again).
   * `alsoKey`: this packet's own key when it differs (a resend with a new Identifier).
   */
  private hold(
    entry: string,
    alsoKey: string | undefined,
    frame: Frame,
    packet: DecodedPacket | undefined,
    client: Client,
    rinfo: Pick<RemoteInfo, 'address' | 'port'>,
    reply: (response: Buffer, rinfo: Pick<RemoteInfo, 'address' | 'port'>) => void,
  ): Promise<PacketOutcome> {
    let waiting = this.held.get(entry);
    if (!waiting) this.held.set(entry, (waiting = []));
    if (waiting.length >= MAX_HELD) return Promise.resolve(this.drop('duplicate-in-progress', rinfo, client.name));
    this.metrics.held.inc();
    const list = waiting;
    return new Promise<PacketOutcome>((resolve) => {
      list.push((ok) => {
        if (!ok) {
          resolve(this.drop('duplicate-in-progress', rinfo, client.name));
          return;
        }
        if (alsoKey) this.retransmits.answered(alsoKey, this.opts.clock.now().getTime());
        this.metrics.retransmits.inc();
        reply(this.response(frame, packet, client), rinfo);
        resolve('retransmit');
      });
    });
  }

  private release(entry: string, ok: boolean): void {
    const waiting = this.held.get(entry);
    if (!waiting) return;
    this.held.delete(entry);
    for (const answer of waiting) answer(ok);
  }

  /** `packet`: the package's decoding, when the request needed it (it may have to echo Proxy-State). */
  private response(frame: Frame, packet: DecodedPacket | undefined, client: Client): Buffer {
    return packet
      ? this.opts.codec.accountingResponse(packet, client.secret, client.secretBytes)
      : plainAccountingResponse(frame.identifier, frame.authenticator, client.secretBytes);
  }

  private send(response: Buffer, rinfo: Pick<RemoteInfo, 'address' | 'port'>): void {
    this.socket?.send(response, rinfo.port, rinfo.address, this.onSent);
  }

  private drop(reason: DropReason, rinfo: Pick<RemoteInfo, 'address' | 'port'>, nas?: string, detail?: string): 'dropped' {
    this.metrics.drop(reason);
    if (reason !== 'duplicate-in-progress') {
      this.limiter.warn(`drop:${reason}`, 'radius: packet dropped', {
        reason,
        from: `${rinfo.address}:${rinfo.port}`,
        ...(nas ? { nas } : {}),
        ...(detail ? { detail } : {}),
      });
    }
    return 'dropped';
  }
}

function eventKey(nasName: string, e: SessionEvent, stamp: AttributeValue | undefined): string | undefined {
  const at = Array.isArray(stamp) ? stamp[0] : stamp;
  if (!(at instanceof Date)) return undefined;
  // Hashed to 16 bytes (24 base64 characters): the cache holds many of these.
  return hash('md5', `${nasName}\0${e.sessionId}\0${e.status}\0${at.getTime()}\0${e.download}\0${e.upload}`, 'base64');
}

/**
 * The socket's resolver. An answer goes to the address the request came from, always a literal;
 * dns.lookup would hand it back only on the next tick, through a closure, for every answer.
 * Names (a configured listen host) still go to dns.lookup.
 */
function literalLookup(
  hostname: string,
  options: LookupOneOptions | number,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const family = isIP(hostname);
  if (family !== 0) callback(null, hostname, family);
  else dnsLookup(hostname, typeof options === 'number' ? { family: options } : options, callback);
}

/** An IPv4 client seen on a dual-stack socket arrives as ::ffff:a.b.c.d. */
export function normaliseAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address.toLowerCase();
}
