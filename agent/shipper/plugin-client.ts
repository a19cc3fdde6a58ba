import { AGENT_API_PREFIX, type AgentStatusReport, type BatchAck, type InventorySnapshot, type ObservationBatch } from '../../plugin/common/wire.js';
import { errorMessage } from '../../plugin/common/errors.js';

/**
 * The agent side of the plugin's agent API: two POSTs with the agent's bearer token. Every
 * outcome comes back as a value the shipper decides on; nothing here retries.
 */
export type PostOutcome<T> =
  | { kind: 'ok'; value: T }
  /** The plugin refused our token: an operator must fix the config; retried slowly meanwhile. */
  | { kind: 'unauthorized'; status: number }
  /** The batch is too large for the plugin: send fewer records. */
  | { kind: 'too-large' }
  /** Anything else: network error, timeout, 5xx, unexpected answer. Retried with backoff. */
  | { kind: 'failed'; reason: string };

export interface PluginClientOptions {
  url: string;
  token: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

export class PluginClient {
  private readonly base: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly opts: PluginClientOptions) {
    this.base = opts.url.replace(/\/+$/, '') + AGENT_API_PREFIX;
    this.fetch = opts.fetch ?? globalThis.fetch;
  }

  async postBatch(batch: ObservationBatch, signal: AbortSignal): Promise<PostOutcome<BatchAck>> {
    const res = await this.post('/batches', batch, signal);
    if (res.kind !== 'ok') return res;
    const { status, body } = res.value;
    if (status !== 200) return { kind: 'failed', reason: `HTTP ${status}` };
    let ack: BatchAck;
    try {
      ack = JSON.parse(body) as BatchAck;
    } catch {
      return { kind: 'failed', reason: 'HTTP 200 without a JSON BatchAck' };
    }
    // Acknowledging the wrong batch would delete records the plugin never saw.
    if (ack?.batchId !== batch.batchId || typeof ack.accepted !== 'number') {
      return { kind: 'failed', reason: 'BatchAck does not match the batch sent' };
    }
    return { kind: 'ok', value: ack };
  }

  async postInventory(snapshot: InventorySnapshot, signal: AbortSignal): Promise<PostOutcome<void>> {
    const res = await this.post('/inventory', snapshot, signal);
    if (res.kind !== 'ok') return res;
    return res.value.status >= 200 && res.value.status < 300
      ? { kind: 'ok', value: undefined }
      : { kind: 'failed', reason: `HTTP ${res.value.status}` };
  }

  /** The agent's status snapshot (agent/status); a 2xx is all it needs. */
  async postStatus(report: AgentStatusReport, signal: AbortSignal): Promise<PostOutcome<void>> {
    const res = await this.post('/status', report, signal);
    if (res.kind !== 'ok') return res;
    return res.value.status >= 200 && res.value.status < 300 ? { kind: 'ok', value: undefined } : { kind: 'failed', reason: `HTTP ${res.value.status}` };
  }

  private async post(path: string, payload: unknown, signal: AbortSignal): Promise<PostOutcome<{ status: number; body: string }>> {
    // One controller per request, tied to the shipper's signal by a listener removed when the
    // request ends and a timer cleared then: AbortSignal.any left its links on the long-lived
    // signal until garbage collection, and a backlog drained after a restart piled them up
    // (MaxListenersExceededWarning).
    const request = new AbortController();
    const onAbort = (): void => request.abort(signal.reason);
    if (signal.aborted) request.abort(signal.reason);
    else signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => request.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), this.opts.timeoutMs);
    try {
      const res = await this.fetch(this.base + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.opts.token}` },
        body: JSON.stringify(payload),
        signal: request.signal,
      });
      const body = await res.text();
      if (res.status === 401 || res.status === 403) return { kind: 'unauthorized', status: res.status };
      if (res.status === 413) return { kind: 'too-large' };
      return { kind: 'ok', value: { status: res.status, body } };
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      return { kind: 'failed', reason: cause ?? errorMessage(err) };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }
}
