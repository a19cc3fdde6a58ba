import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** The browser went away (crashed, was killed, or never started): what was sent to it is lost. */
export class BrowserGoneError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BrowserGoneError';
  }
}

/** Chromium answered a command with an error (bad parameters, closed target, ...). */
export class CdpCommandError extends Error {
  constructor(
    readonly method: string,
    message: string,
  ) {
    super(`${method}: ${message}`);
    this.name = 'CdpCommandError';
  }
}

export type CdpEventListener = (method: string, params: Record<string, unknown>, sessionId: string | undefined) => void;

interface Pending {
  method: string;
  resolve: (v: Record<string, unknown>) => void;
  reject: (e: unknown) => void;
}

/** Live browsers' process groups, killed if this Node process exits without closing them. */
const live = new Set<number>();
let exitHookInstalled = false;
function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/**
 * One Chromium process spoken to over the DevTools protocol on a pipe (--remote-debugging-pipe:
 * the browser reads NUL-terminated JSON commands on fd 3 and writes replies and events on fd 4).
 * No WebSocket, no per-page wrapper objects: only the commands the renderer sends and the events it
 * listens for. The browser runs in its own process group with its own temporary profile, so
 * kill() takes every process it started with it, and a dead browser fails every pending command
 * with BrowserGoneError at once.
 */
export class ChromiumPipe {
  readonly pid: number;
  /** Resolves when the process has exited (and its profile is removed). */
  readonly exited: Promise<void>;
  private readonly child: ChildProcess;
  private readonly out: Writable;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private buffered: Buffer[] = [];
  private gone: BrowserGoneError | null = null;
  private stderrTail = '';

  private constructor(
    child: ChildProcess,
    private readonly profile: string,
    private readonly onEvent: CdpEventListener,
  ) {
    this.child = child;
    this.pid = child.pid!;
    this.out = child.stdio[3] as Writable;
    const input = child.stdio[4] as Readable;
    input.on('data', (chunk: Buffer) => this.onData(chunk));
    input.on('error', () => undefined);
    this.out.on('error', () => undefined);
    child.stderr?.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString('utf8')).slice(-2000);
    });
    live.add(this.pid);
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(this.pid);
        killGroup(this.pid); // helpers it started (zygote, crash handler) go with it
        this.fail(new BrowserGoneError(`Chromium exited (${signal ?? `code ${code}`})${this.stderrTail ? `: ${lastLine(this.stderrTail)}` : ''}`));
        rmSync(this.profile, { recursive: true, force: true });
        resolve();
      });
    });
  }

  /** Starts Chromium; throws BrowserGoneError when it cannot be started or does not answer within timeoutMs. */
  static async launch(executablePath: string, args: string[], timeoutMs: number, onEvent: CdpEventListener): Promise<ChromiumPipe> {
    const profile = mkdtempSync(join(tmpdir(), 'octet-chromium-'));
    const child = spawn(executablePath, [...args, '--remote-debugging-pipe', `--user-data-dir=${profile}`, 'about:blank'], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
      detached: true, // its own process group: kill() takes its helpers too
    });
    const spawned = await new Promise<Error | null>((resolve) => {
      child.once('spawn', () => resolve(null));
      child.once('error', (e) => resolve(e));
    });
    if (spawned || child.pid === undefined) {
      rmSync(profile, { recursive: true, force: true });
      throw new BrowserGoneError(`cannot start ${executablePath}: ${spawned?.message ?? 'no pid'}`, { cause: spawned });
    }
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.once('exit', () => live.forEach(killGroup));
    }
    const pipe = new ChromiumPipe(child, profile, onEvent);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        pipe.send('Browser.getVersion'),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new BrowserGoneError(`Chromium did not answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (err) {
      pipe.kill();
      await pipe.exited;
      throw err;
    } finally {
      clearTimeout(timer);
    }
    return pipe;
  }

  get alive(): boolean {
    return this.gone === null;
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.nextId++;
    const message = JSON.stringify(sessionId ? { id, method, params, sessionId } : { id, method, params });
    return new Promise((resolve, reject) => {
      this.pending.set(id, { method, resolve, reject });
      this.out.write(message + '\0');
    });
  }

  /** SIGKILL to the browser and its helpers; pending commands fail with BrowserGoneError. */
  kill(): void {
    this.fail(new BrowserGoneError('Chromium was killed'));
    if (live.has(this.pid)) killGroup(this.pid);
  }

  /** Asks the browser to quit; kills it when it has not exited within graceMs. Never hangs. */
  async close(graceMs = 2000): Promise<void> {
    if (this.alive) this.send('Browser.close').catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'late'>((r) => {
      timer = setTimeout(() => r('late'), graceMs);
    });
    if ((await Promise.race([this.exited.then(() => 'done' as const), grace])) === 'late') {
      this.kill();
      await Promise.race([this.exited, new Promise((r) => setTimeout(r, graceMs))]);
    }
    clearTimeout(timer);
  }

  private fail(err: BrowserGoneError): void {
    if (!this.gone) this.gone = err;
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(this.gone);
  }

  private onData(chunk: Buffer): void {
    let start = 0;
    for (let end = chunk.indexOf(0); end !== -1; end = chunk.indexOf(0, start)) {
      this.buffered.push(chunk.subarray(start, end));
      const text = Buffer.concat(this.buffered).toString('utf8');
      this.buffered = [];
      start = end + 1;
      this.dispatch(text);
    }
    if (start < chunk.length) this.buffered.push(chunk.subarray(start));
  }

  private dispatch(text: string): void {
    let msg: { id?: number; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown>; error?: { message: string }; sessionId?: string };
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (msg.id !== undefined) {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new CdpCommandError(p.method, msg.error.message));
      else p.resolve(msg.result ?? {});
    } else if (msg.method) {
      this.onEvent(msg.method, msg.params ?? {}, msg.sessionId);
    }
  }
}

function lastLine(s: string): string {
  const lines = s.trim().split('\n');
  return (lines[lines.length - 1] ?? '').slice(0, 300);
}
