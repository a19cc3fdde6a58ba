import { createHash } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from '../../plugin/common/logger.js';
import { nullLogger } from '../../plugin/common/logger.js';
import { encodeSentence, SentenceDecoder } from './codec.js';
import {
  RouterOsConnectionError,
  RouterOsError,
  RouterOsFatalError,
  RouterOsLoginError,
  RouterOsProtocolError,
  RouterOsTimeoutError,
  RouterOsTlsError,
  RouterOsTrapError,
  type Trap,
} from './errors.js';

export type Row = Record<string, string>;

export interface Reply {
  /** One entry per `!re`. */
  rows: Row[];
  /** Attributes carried by `!done` (e.g. `ret` after `add`). */
  done: Row;
  /** The router said `!empty` (7.18+, a print that matched nothing). */
  empty: boolean;
}

export interface RouterOsTlsOptions {
  /** PEM CA bundle that signed the router's certificate; the name is checked against `host`. */
  ca?: string | Buffer;
  /** SHA-256 fingerprint of the router's certificate (hex, colons optional): pins a self-signed one. */
  fingerprint?: string;
  /** Accept any certificate (encrypts, does not authenticate the router). */
  insecure?: boolean;
  servername?: string;
}

export interface RouterOsConnectOptions {
  host: string;
  /** Default 8728, or 8729 with TLS. */
  port?: number;
  tls?: RouterOsTlsOptions | false;
  username: string;
  password: string;
  /** TCP connect + TLS handshake + login. Default 10 s. */
  connectTimeoutMs?: number;
  /** Default for each command. Default 30 s. */
  commandTimeoutMs?: number;
  logger?: Logger;
}

export interface CommandOptions {
  timeoutMs?: number;
  /** Aborting sends `/cancel` for this command; the router's `interrupted` trap rejects it. */
  signal?: AbortSignal;
}

export interface PrintOptions extends CommandOptions {
  proplist?: readonly string[];
  /** Query words without the leading `?`, e.g. `name=x`, `#|`, `-comment`. */
  query?: readonly string[];
}

type Value = string | number | boolean | bigint;

interface Pending {
  command: string;
  rows: Row[];
  traps: Trap[];
  empty: boolean;
  resolve: (reply: Reply) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
  cleanup: () => void;
}

/**
 * A RouterOS API connection: login, tagged concurrent commands, typed errors. Every outstanding
 * command settles: with its reply, its trap, a timeout, or the connection's end.
 */
export class RouterOsClient {
  private readonly pending = new Map<string, Pending>();
  private nextTag = 1;
  private closedError: RouterOsError | null = null;
  private readonly closeListeners: Array<(err: RouterOsError) => void> = [];
  private readonly decoder: SentenceDecoder;

  private constructor(
    private readonly socket: net.Socket,
    private readonly options: RouterOsConnectOptions,
    private readonly logger: Logger,
  ) {
    this.decoder = new SentenceDecoder((words) => this.onSentence(words));
    socket.on('data', (chunk: Buffer) => {
      try {
        this.decoder.push(chunk);
      } catch (err) {
        this.fail(err instanceof RouterOsError ? err : new RouterOsProtocolError(String(err)));
      }
    });
    socket.on('error', (err) => this.fail(new RouterOsConnectionError(`connection error: ${err.message}`, { cause: err })));
    socket.on('close', () => this.fail(new RouterOsConnectionError('connection closed by the router')));
  }

  /** Connects, logs in, and returns a ready client. */
  static async connect(options: RouterOsConnectOptions): Promise<RouterOsClient> {
    const logger = options.logger ?? nullLogger;
    const timeoutMs = options.connectTimeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    const socket = await openSocket(options, timeoutMs);
    const client = new RouterOsClient(socket, options, logger);
    try {
      await client.login(Math.max(1, deadline - Date.now()));
    } catch (err) {
      client.destroy();
      throw err;
    }
    return client;
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  onClose(listener: (err: RouterOsError) => void): void {
    if (this.closedError) listener(this.closedError);
    else this.closeListeners.push(listener);
  }

  /** Runs one command. `attributes` become `=k=v` words; booleans are sent as `yes`/`no`. */
  command(command: string, attributes: Record<string, Value | undefined> = {}, options: PrintOptions = {}): Promise<Reply> {
    const words = [command];
    for (const [k, v] of Object.entries(attributes)) {
      if (v === undefined) continue;
      words.push(`=${k}=${typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v)}`);
    }
    if (options.proplist) words.push(`=.proplist=${options.proplist.join(',')}`);
    for (const q of options.query ?? []) words.push(`?${q}`);
    return this.write(words, options);
  }

  /** `print` on a menu, e.g. `print('/ppp/active', { proplist: ['name'] })`. */
  async print(menu: string, options: PrintOptions = {}): Promise<Row[]> {
    return (await this.command(`${menu.replace(/\/$/, '')}/print`, {}, options)).rows;
  }

  /** Sends raw words (command first; no `.tag`, the client adds it). */
  write(words: readonly string[], options: CommandOptions = {}): Promise<Reply> {
    if (this.closedError) return Promise.reject(this.closedError);
    const tag = `t${this.nextTag++}`;
    const command = words[0] ?? '';
    const timeoutMs = options.timeoutMs ?? this.options.commandTimeoutMs ?? 30_000;
    return new Promise<Reply>((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(new RouterOsError(`${command}: aborted before it was sent`, { retryable: false }));
        return;
      }
      const onAbort = () => this.sendCancel(tag);
      const p: Pending = {
        command,
        rows: [],
        traps: [],
        empty: false,
        resolve,
        reject,
        timer: undefined,
        cleanup: () => {
          if (p.timer) clearTimeout(p.timer);
          options.signal?.removeEventListener('abort', onAbort);
        },
      };
      if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
        p.timer = setTimeout(() => {
          // Stop the router's work too; the late replies for this tag are then ignored.
          this.settle(tag)?.reject(new RouterOsTimeoutError(`${command}: no reply within ${timeoutMs} ms`, 'command'));
          this.sendCancel(tag);
        }, timeoutMs);
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(tag, p);
      try {
        this.socket.write(encodeSentence([...words, `.tag=${tag}`]));
      } catch (err) {
        // Only a value the codec refuses (a character above U+00FF) gets here.
        this.settle(tag);
        reject(err);
      }
    });
  }

  /** Closes politely; outstanding commands reject. */
  async close(): Promise<void> {
    if (this.closedError) return;
    this.fail(new RouterOsConnectionError('connection closed by the client', { retryable: false }), false);
    await new Promise<void>((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref();
    });
  }

  destroy(): void {
    this.fail(new RouterOsConnectionError('connection closed by the client', { retryable: false }));
    this.socket.destroy();
  }

  private async login(timeoutMs: number): Promise<void> {
    const { username, password } = this.options;
    let reply: Reply;
    try {
      reply = await this.write(['/login', `=name=${username}`, `=password=${password}`], { timeoutMs });
    } catch (err) {
      if (err instanceof RouterOsTrapError) throw new RouterOsLoginError(err.routerMessage);
      if (err instanceof RouterOsTimeoutError) throw new RouterOsTimeoutError(`login: no reply within ${timeoutMs} ms`, 'connect');
      throw err;
    }
    // Before 6.43 the router ignores the password and answers with a challenge (pear2 #37).
    const challenge = reply.done.ret;
    if (challenge !== undefined && /^[0-9a-f]{32}$/i.test(challenge)) {
      const hash = createHash('md5')
        .update(Buffer.concat([Buffer.from([0]), Buffer.from(password, 'latin1'), Buffer.from(challenge, 'hex')]))
        .digest('hex');
      try {
        await this.write(['/login', `=name=${username}`, `=response=00${hash}`], { timeoutMs });
      } catch (err) {
        if (err instanceof RouterOsTrapError) throw new RouterOsLoginError(err.routerMessage);
        throw err;
      }
    }
    this.logger.debug('routeros login ok', { host: this.options.host });
  }

  private sendCancel(tag: string): void {
    if (this.closedError) return;
    this.socket.write(encodeSentence(['/cancel', `=tag=${tag}`]));
  }

  private onSentence(words: string[]): void {
    const reply = words[0]!;
    if (reply === '!fatal') {
      // The reason is a bare word, not `=message=` (reference §2).
      this.fail(new RouterOsFatalError(words[1] ?? '(no reason)'));
      this.socket.destroy();
      return;
    }
    let tag: string | undefined;
    // The tag's position is not fixed (reference §2), so look at every word; it is usually last.
    for (let i = words.length - 1; i > 0; i--) {
      const w = words[i]!;
      if (w.startsWith('.tag=')) {
        tag = w.slice(5);
        break;
      }
    }
    const p = tag === undefined ? undefined : this.pending.get(tag);
    if (!p) {
      // Late replies to a command that timed out, or the `!done` of a `/cancel`.
      return;
    }
    switch (reply) {
      case '!re':
        p.rows.push(parseAttributes(words));
        break;
      case '!trap': {
        const attrs = parseAttributes(words);
        const category = attrs.category === undefined ? undefined : Number(attrs.category);
        p.traps.push({ category: Number.isInteger(category) ? category : undefined, message: attrs.message ?? '' });
        break;
      }
      case '!empty':
        p.empty = true;
        break;
      case '!done': {
        this.settle(tag!);
        if (p.traps.length > 0) p.reject(new RouterOsTrapError(p.command, p.traps));
        else p.resolve({ rows: p.rows, done: parseAttributes(words), empty: p.empty });
        break;
      }
      default:
        // Unknown reply words are skipped (as librouteros does) so that a future one cannot hang us.
        this.logger.debug('routeros: unknown reply word ignored', { reply });
    }
  }

  private settle(tag: string): Pending | undefined {
    const p = this.pending.get(tag);
    if (!p) return undefined;
    this.pending.delete(tag);
    p.cleanup();
    return p;
  }

  private fail(err: RouterOsError, destroySocket = true): void {
    if (this.closedError) return;
    this.closedError = err;
    if (destroySocket && !this.socket.destroyed) this.socket.destroy();
    for (const tag of [...this.pending.keys()]) {
      const p = this.settle(tag)!;
      const midReply = p.rows.length > 0 ? ` after ${p.rows.length} rows` : '';
      p.reject(
        err instanceof RouterOsFatalError || !(err instanceof RouterOsConnectionError)
          ? err
          : new RouterOsConnectionError(`${p.command}: ${err.message} before the reply was complete${midReply}`, { cause: err }),
      );
    }
    for (const l of this.closeListeners.splice(0)) l(err);
  }
}

/** `=name=value` → {name: value}; `=` inside values is kept. Other words are skipped. */
export function parseAttributes(words: readonly string[]): Row {
  const row: Row = {};
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    if (w.charCodeAt(0) !== 61 /* = */) continue;
    const eq = w.indexOf('=', 1);
    if (eq < 0) row[w.slice(1)] = '';
    else row[w.slice(1, eq)] = w.slice(eq + 1);
  }
  return row;
}

function openSocket(options: RouterOsConnectOptions, timeoutMs: number): Promise<net.Socket> {
  const useTls = options.tls !== undefined && options.tls !== false;
  const port = options.port ?? (useTls ? 8729 : 8728);
  const where = `${options.host}:${port}`;
  return new Promise((resolve, reject) => {
    let socket: net.Socket;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new RouterOsTimeoutError(`${where}: could not connect within ${timeoutMs} ms`, 'connect'));
    }, timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err instanceof RouterOsError ? err : new RouterOsConnectionError(`${where}: ${err.message}`, { cause: err }));
    };
    if (useTls) {
      const t = options.tls as RouterOsTlsOptions;
      const pinned = t.fingerprint?.replace(/:/g, '').toUpperCase();
      const tlsSocket = tls.connect({
        host: options.host,
        port,
        servername: t.servername ?? (net.isIP(options.host) ? undefined : options.host),
        ca: t.ca,
        // With a pin or `insecure`, the chain is not checked: the fingerprint (or nothing) is.
        rejectUnauthorized: !(pinned || t.insecure),
      });
      socket = tlsSocket;
      const onTlsError = (err: Error & { code?: unknown }) =>
        fail(String(err.code ?? '').includes('CERT') ? new RouterOsTlsError(`${where}: ${err.message}`, { cause: err }) : err);
      tlsSocket.once('secureConnect', () => {
        if (pinned) {
          const got = tlsSocket.getPeerCertificate().fingerprint256?.replace(/:/g, '').toUpperCase();
          if (got !== pinned) {
            fail(new RouterOsTlsError(`${where}: certificate fingerprint ${got ?? '(none)'} does not match the pinned one`));
            return;
          }
        }
        clearTimeout(timer);
        tlsSocket.removeListener('error', onTlsError);
        resolve(tlsSocket);
      });
      tlsSocket.once('error', onTlsError);
    } else {
      socket = net.connect({ host: options.host, port });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeListener('error', fail);
        resolve(socket);
      });
      socket.once('error', fail);
    }
    socket.setNoDelay(true);
  });
}
