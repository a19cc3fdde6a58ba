import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import type { RadiusCodec } from '../radius/codec.js';
import type { Logger } from '../../plugin/common/logger.js';
import { systemClock, type Clock } from '../../plugin/common/clock.js';

/**
 * A simulated NAS: it sends RFC 2866 accounting (Start, Interim-Update, Stop) for a set of
 * subscribers to an accounting server, as a BRAS would, retransmitting until answered. For the
 * demo and for end-to-end runs; the tests of the accounting server itself use FreeRADIUS's
 * radclient instead, so that the server is checked against a client we did not write.
 */
export interface SimulatedSubscriber {
  login: string;
  /** Bytes per second the subscriber downloads (Acct-Output-Octets) and uploads. */
  downloadBps: number;
  uploadBps: number;
}

export interface SimulatedNasOptions {
  host: string;
  port: number;
  secret: string;
  codec: RadiusCodec;
  logger: Logger;
  nasIdentifier: string;
  subscribers: SimulatedSubscriber[];
  interimSeconds: number;
  /**
   * Time for counters and timestamps (default: the wall clock). The demo's clock jumps ahead: the
   * counters then grow by what the subscriber moved over the time jumped, as a real NAS's would.
   */
  clock?: Clock;
}

interface LiveSession {
  sub: SimulatedSubscriber;
  sessionId: string;
  startedAt: number;
  /** When the counters were last advanced. */
  countedAt: number;
  download: bigint;
  upload: bigint;
}

const TWO_32 = 1n << 32n;

export class SimulatedNas {
  private socket: Socket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private identifier = 0;
  private readonly waiting = new Map<number, () => void>();
  private readonly sessions: LiveSession[] = [];

  private readonly clock: Clock;

  constructor(private readonly options: SimulatedNasOptions) {
    this.clock = options.clock ?? systemClock;
  }

  async start(): Promise<void> {
    const socket = createSocket('udp4');
    this.socket = socket;
    socket.on('message', (msg) => {
      // Code 5 = Accounting-Response; the identifier pairs it with our request.
      if (msg.length >= 20 && msg[0] === 5) this.waiting.get(msg[1]!)?.();
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const now = this.clock.now().getTime();
    for (const sub of this.options.subscribers) {
      const s: LiveSession = { sub, sessionId: randomBytes(4).toString('hex').toUpperCase(), startedAt: now, countedAt: now, download: 0n, upload: 0n };
      this.sessions.push(s);
      await this.send(s, 'Start');
    }
    this.timer = setInterval(() => void this.tick(), this.options.interimSeconds * 1000);
  }

  private async tick(): Promise<void> {
    const now = this.clock.now().getTime();
    for (const s of this.sessions) {
      const ms = BigInt(Math.max(0, now - s.countedAt));
      s.countedAt = now;
      s.download += (BigInt(Math.round(s.sub.downloadBps)) * ms) / 1000n;
      s.upload += (BigInt(Math.round(s.sub.uploadBps)) * ms) / 1000n;
      await this.send(s, 'Interim-Update').catch((err) => this.options.logger.warn('simulated NAS: no answer', { err: String(err) }));
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const s of this.sessions) await this.send(s, 'Stop').catch(() => undefined);
    this.socket?.close();
    this.socket = null;
  }

  private send(s: LiveSession, status: 'Start' | 'Interim-Update' | 'Stop'): Promise<void> {
    const socket = this.socket;
    if (!socket) return Promise.resolve();
    const identifier = this.identifier;
    this.identifier = (this.identifier + 1) % 256;
    const packet = this.options.codec.encodeRequest({
      code: 'Accounting-Request',
      secret: this.options.secret,
      identifier,
      attributes: [
        ['Acct-Status-Type', status],
        ['User-Name', s.sub.login],
        ['Acct-Session-Id', s.sessionId],
        ['NAS-Identifier', this.options.nasIdentifier],
        ['NAS-IP-Address', '127.0.0.1'],
        ['Event-Timestamp', this.clock.now()],
        ['Acct-Session-Time', Math.floor((this.clock.now().getTime() - s.startedAt) / 1000)],
        ['Acct-Output-Octets', Number(s.download % TWO_32)],
        ['Acct-Output-Gigawords', Number(s.download / TWO_32)],
        ['Acct-Input-Octets', Number(s.upload % TWO_32)],
        ['Acct-Input-Gigawords', Number(s.upload / TWO_32)],
      ],
    });
    return new Promise<void>((resolve, reject) => {
      let tries = 0;
      const attempt = () => {
        if (tries++ === 3) {
          this.waiting.delete(identifier);
          return reject(new Error(`no Accounting-Response for ${s.sub.login} (${status})`));
        }
        socket.send(packet, this.options.port, this.options.host);
        timer = setTimeout(attempt, 2000);
      };
      let timer: NodeJS.Timeout;
      this.waiting.set(identifier, () => {
        clearTimeout(timer);
        this.waiting.delete(identifier);
        resolve();
      });
      attempt();
    });
  }
}
