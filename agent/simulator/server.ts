import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { systemClock, type Clock } from '../../plugin/common/clock.js';
import { nullLogger, type Logger } from '../../plugin/common/logger.js';
import { encodeSentences, SentenceDecoder } from '../routeros/codec.js';
import { execute, parseRequest, type Request } from './commands.js';
import { RouterModel, type Rates } from './model.js';

export interface SimulatorOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** API-SSL: served on its own port (`port`, default 0), as 8729 beside 8728. */
  tls?: { cert: string | Buffer; key: string | Buffer; port?: number };
  /** `6.49.x` (no `!empty`) or `7.18+` (`!empty`). Default 7.18.2. */
  version?: string;
  identity?: string;
  boardName?: string;
  users?: Array<{ name: string; password: string }>;
  clock?: Clock;
  /** PPP subscribers created and connected at start (`user0001`…). */
  sessions?: number;
  /** Hotspot subscribers created and logged in at start (`hs0001`…). */
  hotspotSessions?: number;
  rates?: Partial<Rates>;
  logger?: Logger;
}

/** Knobs for tests: make the simulated router misbehave the way real networks do. */
export interface Faults {
  /** Commands (e.g. `/ppp/active/print`) that never answer until `/cancel` or disconnect. */
  hang: Set<string>;
  /** Commands whose reply is cut half-way: half the bytes are written, then the socket is destroyed. */
  cutMidReply: Set<string>;
  /** Delay before every reply, in ms (a slow router). */
  delayMs: number;
}

export interface Simulator {
  host: string;
  port: number;
  tlsPort: number | null;
  model: RouterModel;
  faults: Faults;
  /** Number of open API connections. */
  connectionCount(): number;
  /** false: stop listening and drop every connection (router gone); true: listen again on the same ports. */
  setReachable(reachable: boolean): Promise<void>;
  close(): Promise<void>;
}

const LOGIN_FAILED_V643 = 'invalid user name or password (6)';

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const logger = options.logger ?? nullLogger;
  const host = options.host ?? '127.0.0.1';
  const model = new RouterModel({
    clock: options.clock ?? systemClock,
    version: options.version ?? '7.18.2',
    identity: options.identity ?? 'MikroTik',
    boardName: options.boardName ?? 'CCR2004-16G-2S+',
    users: options.users ?? [{ name: 'admin', password: '' }],
    defaultRates: { downloadBps: 125_000, uploadBps: 12_500, ...options.rates },
  });
  if (options.sessions) model.populate(options.sessions, { kind: 'ppp' });
  if (options.hotspotSessions) model.populate(options.hotspotSessions, { kind: 'hotspot' });
  const faults: Faults = { hang: new Set(), cutMidReply: new Set(), delayMs: 0 };
  const sockets = new Set<net.Socket>();

  const onSocket = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', (err) => logger.debug('simulator: socket error', { error: err.message }));
    socket.setNoDelay(true);
    new Connection(socket, model, faults, logger);
  };
  const plain = net.createServer(onSocket);
  const secure = options.tls ? tls.createServer({ cert: options.tls.cert, key: options.tls.key }, onSocket) : null;
  secure?.on('tlsClientError', (err) => logger.debug('simulator: TLS client error', { error: err.message }));

  let port = await listen(plain, host, options.port ?? 0);
  let tlsPort = secure ? await listen(secure, host, options.tls?.port ?? 0) : null;
  let reachable = true;

  return {
    host,
    get port() {
      return port;
    },
    get tlsPort() {
      return tlsPort;
    },
    model,
    faults,
    connectionCount: () => sockets.size,
    async setReachable(up: boolean) {
      if (up === reachable) return;
      reachable = up;
      if (!up) {
        for (const s of sockets) s.destroy();
        await Promise.all([closeServer(plain), secure ? closeServer(secure) : undefined]);
      } else {
        port = await listen(plain, host, port);
        if (secure && tlsPort !== null) tlsPort = await listen(secure, host, tlsPort);
      }
    },
    async close() {
      for (const s of sockets) s.destroy();
      if (reachable) await Promise.all([closeServer(plain), secure ? closeServer(secure) : undefined]);
      reachable = false;
    },
  };
}

function listen(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.removeListener('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** One API session: login state, running (held) commands, replies written one batch per write. */
class Connection {
  private loggedIn = false;
  private challenge: Buffer | null = null;
  /** Commands still running (listen, or held by a fault), by tag ('' when untagged). */
  private readonly running = new Map<string, Request>();
  private closing = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly model: RouterModel,
    private readonly faults: Faults,
    private readonly logger: Logger,
  ) {
    // A cap on word size keeps a broken client from making us buffer without bound.
    const decoder = new SentenceDecoder((words) => this.onSentence(words), { maxWordBytes: 64 * 1024 * 1024 });
    socket.on('data', (chunk: Buffer) => {
      try {
        decoder.push(chunk);
      } catch (err) {
        this.logger.debug('simulator: bad framing from client', { error: String(err) });
        socket.destroy();
      }
    });
  }

  private onSentence(words: string[]): void {
    if (this.closing) return;
    const req = parseRequest(words);
    switch (req.command) {
      case '/login':
        return this.login(req);
      case '/quit':
        // `!fatal` carries a bare reason word (NOTES), then the router closes.
        return this.fatal('session terminated on request');
    }
    if (!this.loggedIn) {
      // [3RD] @mhycy/routeros-client README; UNCERTAIN.
      return this.fatal('not logged in');
    }
    if (req.command === '/cancel') return this.cancel(req);
    if (req.command === '#') {
      // node-routeros keepalive; the real answer is UNCERTAIN (reference §10): a tagged `!done`.
      return this.reply(req.tag, [['!done']]);
    }
    if (this.faults.hang.has(req.command)) {
      this.running.set(req.tag ?? '', req);
      return;
    }
    const outcome = execute(this.model, req);
    if (outcome.kind === 'hold') {
      this.running.set(req.tag ?? '', req);
      return;
    }
    if (this.faults.cutMidReply.has(req.command)) {
      const bytes = encodeSentences(tagged(req.tag, outcome.sentences));
      this.socket.write(bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2))), () => this.socket.destroy());
      this.closing = true;
      return;
    }
    this.reply(req.tag, outcome.sentences);
  }

  private login(req: Request): void {
    const name = req.attrs.get('name');
    const password = req.attrs.get('password');
    const response = req.attrs.get('response');
    if (name !== undefined && password !== undefined) {
      return this.loginResult(req.tag, this.model.users.some((u) => u.name === name && u.password === password));
    }
    if (name !== undefined && response !== undefined && this.challenge) {
      // Pre-6.43 challenge: response = "00" + md5(0x00 + password + challenge) (reference §4).
      const challenge = this.challenge;
      const ok = this.model.users.some(
        (u) =>
          u.name === name &&
          response ===
            '00' + createHash('md5').update(Buffer.concat([Buffer.from([0]), Buffer.from(u.password, 'latin1'), challenge])).digest('hex'),
      );
      return this.loginResult(req.tag, ok);
    }
    if (!this.model.isV7 && name === undefined) {
      // 6.x answers a bare `/login` with a challenge (6.47.6 capture, BenMenking #52).
      // Whether v7 still does is UNCERTAIN; our v7 refuses it like a bad password.
      this.challenge = randomBytes(16);
      return this.reply(req.tag, [['!done', `=ret=${this.challenge.toString('hex')}`]]);
    }
    this.loginResult(req.tag, false);
  }

  private loginResult(tag: string | undefined, ok: boolean): void {
    if (ok) {
      this.loggedIn = true;
      return this.reply(tag, [['!done']]);
    }
    // 6.43+ text, no category (LaiArturs/RouterOS_API #9, BenMenking #52). Then the connection is
    // closed: issue 3 asks for it; no capture shows it (reference §4: UNCERTAIN).
    this.reply(tag, [['!trap', `=message=${LOGIN_FAILED_V643}`], ['!done']], () => this.socket.end());
    this.closing = true;
  }

  /**
   * `/cancel [=tag=T]`: the cancelled command gets `!trap =category=2 =message=interrupted` and
   * `!done`; in API7's example the cancel's own `!done` comes between the two.
   */
  private cancel(req: Request): void {
    const target = req.attrs.get('tag');
    const victims = target === undefined ? [...this.running.keys()] : this.running.has(target) ? [target] : [];
    const sentences: string[][] = [];
    for (const t of victims) {
      this.running.delete(t);
      sentences.push(...tagged(t || undefined, [['!trap', '=category=2', '=message=interrupted']]));
    }
    sentences.push(...tagged(req.tag, [['!done']]));
    for (const t of victims) sentences.push(...tagged(t || undefined, [['!done']]));
    this.write(encodeSentences(sentences));
  }

  private fatal(reason: string): void {
    this.closing = true;
    this.write(encodeSentences([['!fatal', reason]]), () => this.socket.end());
  }

  private reply(tag: string | undefined, sentences: string[][], then?: () => void): void {
    this.write(encodeSentences(tagged(tag, sentences)), then);
  }

  /** One socket write per reply batch: clients that find packet ends by buffer boundaries need it. */
  private write(bytes: Buffer, then?: () => void): void {
    const send = () => {
      if (this.socket.destroyed) return;
      this.socket.write(bytes, then ? () => then() : undefined);
    };
    if (this.faults.delayMs > 0) setTimeout(send, this.faults.delayMs);
    else send();
  }
}

/**
 * Every reply to a tagged sentence carries the tag; never add one the client did not send.
 * Where the tag sits in a reply is UNCERTAIN (API7 examples put it last, a capture right after the
 * reply word); we put it last, and clients look for it anywhere.
 */
function tagged(tag: string | undefined, sentences: string[][]): string[][] {
  if (tag === undefined) return sentences;
  const t = `.tag=${tag}`;
  for (const s of sentences) s.push(t);
  return sentences;
}
