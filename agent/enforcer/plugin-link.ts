import { errorMessage } from '../../plugin/common/errors.js';
import {
  AGENT_API_PREFIX,
  enforcementItem,
  enforcementSnapshot,
  type EnforcementApplied,
  type EnforcementItem,
  type EnforcementSnapshot,
} from '../../plugin/common/wire.js';

/**
 * The agent side of the plugin's enforcement API (plugin/common/wire.ts): the desired-state
 * snapshot, the server-sent event stream of changes, and the applied reports. Nothing here
 * retries; the enforcer decides.
 */
export interface PluginLinkOptions {
  url: string;
  token: string;
  timeoutMs: number;
  /** The stream counts as dead after this long without a byte (the plugin pings every 15 s). */
  silenceMs?: number;
  fetch?: typeof fetch;
}

export class EnforcementLinkError extends Error {
  constructor(
    message: string,
    readonly unauthorized = false,
  ) {
    super(message);
  }
}

export class PluginLink {
  private readonly base: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly o: PluginLinkOptions) {
    this.base = o.url.replace(/\/+$/, '') + AGENT_API_PREFIX + '/enforcement';
    this.fetch = o.fetch ?? globalThis.fetch;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${this.o.token}`, ...extra };
  }

  async snapshot(signal: AbortSignal): Promise<EnforcementSnapshot> {
    const body = await this.call('/desired', { method: 'GET', headers: this.headers({ accept: 'application/json' }) }, signal);
    const parsed = enforcementSnapshot.safeParse(safeJson(body));
    if (!parsed.success) throw new EnforcementLinkError(`desired-state snapshot does not match the wire format: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    return parsed.data;
  }

  async postApplied(report: EnforcementApplied, signal: AbortSignal): Promise<void> {
    await this.call('/applied', { method: 'POST', headers: this.headers({ 'content-type': 'application/json' }), body: JSON.stringify(report) }, signal);
  }

  /**
   * Follows the stream until it ends or `signal` aborts; calls `onItem` for every valid `desired`
   * event (a malformed one is passed to `onBad` and skipped, the stream goes on).
   */
  async follow(signal: AbortSignal, onOpen: () => Promise<void> | void, onItem: (item: EnforcementItem) => void, onBad: (reason: string) => void): Promise<void> {
    // A stream silent for three ping intervals is dead (a NAT dropped it without a FIN).
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal.reason);
    if (signal.aborted) controller.abort(signal.reason);
    else signal.addEventListener('abort', onAbort, { once: true });
    let silence: NodeJS.Timeout | undefined;
    const watch = () => {
      clearTimeout(silence);
      silence = setTimeout(() => controller.abort(new Error('silent')), this.o.silenceMs ?? 45_000);
    };
    try {
      watch();
      // The stream is long-lived: only its silence is timed.
      const res = await this.open('/stream', { method: 'GET', headers: this.headers({ accept: 'text/event-stream' }) }, controller.signal);
      if (!res.body) throw new EnforcementLinkError('stream has no body');
      await onOpen();
      const parser = new SseParser((event, data) => {
        if (event !== 'desired') return;
        const parsed = enforcementItem.safeParse(safeJson(data));
        if (parsed.success) onItem(parsed.data);
        else onBad(parsed.error.issues[0]?.message ?? 'invalid item');
      });
      const decoder = new TextDecoder();
      try {
        for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
          watch();
          parser.push(decoder.decode(chunk, { stream: true }));
        }
      } catch (err) {
        if (signal.aborted) return;
        throw new EnforcementLinkError(controller.signal.aborted ? 'stream silent for too long' : `stream broke: ${errorMessage(err)}`);
      }
    } finally {
      clearTimeout(silence);
      signal.removeEventListener('abort', onAbort);
      // Whatever ended the stream (snapshot failed, bad chunk), its connection must not linger.
      controller.abort(new Error('stream closed'));
    }
  }

  /** A request whose whole answer is read within the timeout; returns the body text. */
  private async call(path: string, init: RequestInit, signal: AbortSignal): Promise<string> {
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal.reason);
    if (signal.aborted) controller.abort(signal.reason);
    else signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => controller.abort(new Error('timeout')), this.o.timeoutMs);
    try {
      const res = await this.open(path, init, controller.signal);
      return await res.text();
    } catch (err) {
      if (err instanceof EnforcementLinkError) throw err;
      throw new EnforcementLinkError(`${path}: ${errorMessage(err)}`);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  private async open(path: string, init: RequestInit, signal: AbortSignal): Promise<Response> {
    let res: Response;
    try {
      res = await this.fetch(this.base + path, { ...init, signal });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      throw new EnforcementLinkError(`${path}: ${cause ?? errorMessage(err)}`);
    }
    if (res.status === 200 || res.status === 204) return res;
    await res.body?.cancel().catch(() => undefined);
    if (res.status === 401 || res.status === 403) throw new EnforcementLinkError(`${path}: the plugin refused the agent token (HTTP ${res.status})`, true);
    throw new EnforcementLinkError(`${path}: HTTP ${res.status}`);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Server-sent events (WHATWG HTML §9.2): lines, `event:`/`data:` fields, a blank line dispatches; `:` is a comment. */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];

  constructor(private readonly dispatch: (event: string, data: string) => void) {}

  push(text: string): void {
    this.buffer += text;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      if (!m) break;
      // A CR at the end of a chunk may be the first half of a CRLF split across chunks.
      if (m[0] === '\r' && m.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0) this.dispatch(this.event || 'message', this.data.join('\n'));
      this.event = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    let value = i < 0 ? '' : line.slice(i + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
  }
}
