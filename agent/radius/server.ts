import { hash } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { Registry } from 'prom-client';
import type { Clock } from '../../plugin/common/clock.js';
import { errorMessage } from '../../plugin/common/errors.js';
import type { Logger } from '../../plugin/common/logger.js';
import type { SessionObservation } from '../../plugin/common/wire.js';
import { SpoolFullError } from '../spool/spool.js';
import type { ObservationSink } from '../types.js';
import {
  closingObservations,
  interpretAccounting,
  packetKey,
  sessionObservation,
  type Direction,
  type SessionEvent,
} from './accounting.js';
import type { AttributeValue, DecodedPacket, RadiusCodec } from './codec.js';
import { ACCOUNTING_ATTRIBUTES, CODE_ACCOUNTING_REQUEST, parseFrame, verifyAccountingRequest, withOnly } from './frame.js';
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
  private readonly inFlight = new Set<Promise<unknown>>();

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
    const socket = createSocket({ type: this.opts.host.includes(':') ? 'udp6' : 'udp4' });
    socket.on('message', (msg, rinfo) => {
      const p = this.handle(msg, rinfo).catch((err: unknown) => {
        this.opts.logger.error('radius: unexpected error handling a packet', { error: errorMessage(err) });
      });
      this.inFlight.add(p);
      void p.finally(() => this.inFlight.delete(p));
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
    await Promise.allSettled([...this.inFlight]);
    this.socket = undefined;
    await new Promise<void>((r) => socket.close(() => r()));
  }

  /** One datagram, start to finish. Exposed for tests that drive the server without a socket. */
  async handle(msg: Buffer, rinfo: Pick<RemoteInfo, 'address' | 'port'>, reply = this.send.bind(this)): Promise<PacketOutcome> {
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
    if (seen === 'pending') return this.drop('duplicate-in-progress', rinfo, client.name);

    let packet: DecodedPacket;
    try {
      packet = this.opts.codec.decodeVerified(withOnly(msg, frame.length, ACCOUNTING_ATTRIBUTES));
    } catch (err) {
      return this.drop('undecodable', rinfo, client.name, errorMessage(err));
    }
    if (seen === 'answered') {
      this.metrics.retransmits.inc();
      reply(this.opts.codec.accountingResponse(packet, client.secret, client.secretBytes), rinfo);
      return 'retransmit';
    }

    const event = interpretAccounting(packet.attributes, client.direction, arrival);
    this.metrics.packet(event.kind === 'unusable' ? 'other' : event.status);
    // A NAS resending with a new Identifier (e.g. after updating Acct-Delay-Time) sends the same
    // event: same session, status, Event-Timestamp and counters. Recognised here, answered, not recorded.
    const sameEvent = event.kind === 'session' ? eventKey(client.name, event, packet.attributes['Event-Timestamp']) : undefined;
    if (sameEvent) {
      const prior = this.retransmits.lookup(sameEvent, now);
      if (prior === 'pending') return this.drop('duplicate-in-progress', rinfo, client.name);
      if (prior === 'answered') {
        this.metrics.retransmits.inc();
        this.retransmits.answered(key, now);
        reply(this.opts.codec.accountingResponse(packet, client.secret, client.secretBytes), rinfo);
        return 'retransmit';
      }
    }
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
      records = [sessionObservation(client.name, key, event)];
    } else {
      records = closingObservations(key, event, this.opts.sessions.openFor(client.name));
    }

    if (records.length > 0) {
      this.retransmits.begin(key, now);
      if (sameEvent) this.retransmits.begin(sameEvent, now);
      try {
        await this.opts.sink.append(records);
      } catch (err) {
        this.retransmits.abandon(key);
        if (sameEvent) this.retransmits.abandon(sameEvent);
        return this.drop(err instanceof SpoolFullError ? 'spool-full' : 'spool-error', rinfo, client.name, errorMessage(err));
      }
      this.opts.sessions.apply(records);
      this.metrics.recorded.inc(records.length);
    }
    const response = this.opts.codec.accountingResponse(packet, client.secret, client.secretBytes);
    const answeredAt = this.opts.clock.now().getTime();
    this.retransmits.answered(key, answeredAt);
    if (sameEvent) this.retransmits.answered(sameEvent, answeredAt);
    reply(response, rinfo);
    return records.length > 0 ? 'recorded' : 'ignored';
  }

  private send(response: Buffer, rinfo: Pick<RemoteInfo, 'address' | 'port'>): void {
    this.socket?.send(response, rinfo.port, rinfo.address, (err) => {
      if (err) this.limiter.warn('send', 'radius: cannot send an Accounting-Response', { error: errorMessage(err) });
    });
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

/** An IPv4 client seen on a dual-stack socket arrives as ::ffff:a.b.c.d. */
export function normaliseAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address.toLowerCase();
}
