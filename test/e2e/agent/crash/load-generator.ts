import { createHash } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';

/**
 * A NAS-like load generator for RADIUS accounting: keeps a window of outstanding requests per
 * socket (Identifiers are 8 bits, so at most 256 per socket), retransmits a request byte for byte
 * after a timeout, and measures the time from first send to the Accounting-Response.
 *
 * Packets come as templates (any Identifier); each gets its Identifier when first sent and its
 * Request Authenticator recomputed (RFC 2866 §3), so templates can be encoded once, up front.
 */
export interface LoadOptions {
  port: number;
  secret: string;
  templates: Buffer[];
  sockets?: number;
  /** Outstanding requests per socket (≤ 256). */
  window?: number;
  timeoutMs?: number;
  /** Retransmissions before a request is given up; Infinity keeps trying like a NAS. */
  maxRetries?: number;
}

export interface LoadResult {
  answered: Uint8Array;
  /** The exact bytes sent for each template (undefined if never sent). */
  sent: Array<Buffer | undefined>;
  latenciesMs: Float64Array;
  elapsedMs: number;
  retransmissions: number;
  givenUp: number;
}

export class LoadGenerator {
  private readonly sockets: Socket[] = [];
  private aborted = false;
  private finish: (() => void) | undefined;
  private readonly secret: Buffer;
  readonly result: LoadResult;
  private answeredCount = 0;

  constructor(private readonly opts: LoadOptions) {
    this.secret = Buffer.from(opts.secret);
    const n = opts.templates.length;
    this.result = {
      answered: new Uint8Array(n),
      sent: new Array<Buffer | undefined>(n),
      latenciesMs: new Float64Array(n).fill(NaN),
      elapsedMs: 0,
      retransmissions: 0,
      givenUp: 0,
    };
  }

  get answeredSoFar(): number {
    return this.answeredCount;
  }

  /** Stops sending; run() resolves with what was answered so far. */
  abort(): void {
    this.aborted = true;
    this.finish?.();
  }

  async run(): Promise<LoadResult> {
    const { templates } = this.opts;
    const socketCount = this.opts.sockets ?? 1;
    const window = Math.min(256, this.opts.window ?? 64);
    const timeoutMs = this.opts.timeoutMs ?? 3000;
    const maxRetries = this.opts.maxRetries ?? Infinity;
    const t0 = performance.now();
    let next = 0;
    let done = 0;
    const total = templates.length;
    await new Promise<void>((resolve) => {
      this.finish = resolve;
      if (total === 0) return resolve();
      for (let s = 0; s < socketCount; s++) {
        const socket = createSocket('udp4');
        this.sockets.push(socket);
        // FIFO, like a NAS cycling through Identifiers: a just-freed one is reused last.
        const freeIds = Array.from({ length: 256 }, (_, i) => i);
        const byId = new Map<number, { index: number; firstAt: number; lastAt: number; tries: number }>();
        const sendNext = () => {
          while (!this.aborted && byId.size < window && next < total) {
            const index = next++;
            const id = freeIds.shift()!;
            const packet = this.sign(templates[index]!, id);
            this.result.sent[index] = packet;
            const now = performance.now();
            byId.set(id, { index, firstAt: now, lastAt: now, tries: 0 });
            socket.send(packet, this.opts.port, '127.0.0.1');
          }
        };
        const complete = () => {
          done++;
          if (done === total) resolve();
        };
        socket.on('message', (msg) => {
          if (msg.length < 20 || msg[0] !== 5) return;
          const pending = byId.get(msg[1]!);
          if (!pending) return;
          byId.delete(msg[1]!);
          freeIds.push(msg[1]!);
          this.result.answered[pending.index] = 1;
          this.result.latenciesMs[pending.index] = performance.now() - pending.firstAt;
          this.answeredCount++;
          complete();
          sendNext();
        });
        const timer = setInterval(() => {
          if (this.aborted) return clearInterval(timer);
          const now = performance.now();
          for (const [id, p] of byId) {
            if (now - p.lastAt < timeoutMs) continue;
            if (p.tries >= maxRetries) {
              byId.delete(id);
              freeIds.push(id);
              this.result.givenUp++;
              complete();
              continue;
            }
            p.tries++;
            p.lastAt = now;
            this.result.retransmissions++;
            socket.send(this.result.sent[p.index]!, this.opts.port, '127.0.0.1');
          }
          sendNext();
          if (done === total) clearInterval(timer);
        }, Math.max(50, Math.min(500, timeoutMs / 4)));
        socket.bind(0, '127.0.0.1', sendNext);
      }
    });
    this.result.elapsedMs = performance.now() - t0;
    for (const s of this.sockets) s.close();
    return this.result;
  }

  private sign(template: Buffer, id: number): Buffer {
    const p = Buffer.from(template);
    p[1] = id;
    p.fill(0, 4, 20);
    createHash('md5').update(p).update(this.secret).digest().copy(p, 4);
    return p;
  }
}

export function percentile(values: Float64Array, p: number): number {
  const sorted = Array.from(values).filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
