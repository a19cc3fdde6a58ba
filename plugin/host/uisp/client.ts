import type { Logger } from '../../common/logger.js';
import { errorFromResponse, networkError, UispApiError, UispForbiddenError } from './errors.js';

/**
 * HTTP client of the UISP CRM API (`<crm url>api/v1.0/<path>`), on Node's fetch. Every request
 * carries `X-Auth-App-Key`. A Read key may only GET (the CRM answers 403 otherwise), so a write
 * with a Read key is refused here before it is sent.
 *
 * 429, 5xx and network failures are retried with exponential backoff (Retry-After honoured),
 * except a POST answered 5xx or cut off: it may have been applied, so the caller decides.
 * Lists page with limit/offset. Secrets never reach logs or error messages.
 */
export type AppKeyType = 'read' | 'write';

export interface UispClientOptions {
  /** The CRM's base URL ending in a slash, e.g. https://uisp.example.net/crm/. */
  url: string;
  appKey: string;
  appKeyType: AppKeyType;
  logger?: Logger;
  retries?: number;
  retryBaseMs?: number;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
}

export type Query = Record<string, string | number | boolean | Array<string | number> | null | undefined>;

/** `statuses[]=1&statuses[]=3` as the blueprint spells array filters. */
export function buildQuery(query: Query = {}): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) for (const v of value) parts.push(`${encodeURIComponent(`${key}[]`)}=${encodeURIComponent(String(v))}`);
    else parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(typeof value === 'boolean' ? (value ? '1' : '0') : String(value))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

export class UispClient {
  private readonly base: string;
  private readonly retries: number;
  private readonly retryBaseMs: number;
  private readonly timeoutMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: UispClientOptions) {
    this.base = `${options.url.endsWith('/') ? options.url : `${options.url}/`}api/v1.0/`;
    this.retries = options.retries ?? 3;
    this.retryBaseMs = options.retryBaseMs ?? 250;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.fetch = options.fetch ?? fetch;
  }

  get canWrite(): boolean {
    return this.options.appKeyType === 'write';
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  patch<T = unknown>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('PATCH', path, { body });
  }

  post<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, { body });
  }

  /** One page of a list: `limit` items from `offset`. */
  page<T>(path: string, query: Query, offset: number, limit: number): Promise<T[]> {
    return this.get<T[]>(path, { ...query, limit, offset });
  }

  async request<T>(method: string, path: string, opts: { query?: Query; body?: unknown } = {}): Promise<T> {
    if (method !== 'GET' && !this.canWrite) {
      throw new UispForbiddenError(`UISP CRM ${method} ${path}: the configured app key is a Read key (host.appKeyType: read); this needs a Write key`, null, method, path, { retryable: false });
    }
    const url = `${this.base}${path}${buildQuery(opts.query)}`;
    const headers: Record<string, string> = { 'X-Auth-App-Key': this.options.appKey, Accept: 'application/json' };
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await this.fetch(url, { method, headers, body, signal: AbortSignal.timeout(this.timeoutMs) });
      } catch (err) {
        const e = networkError(method, path, err);
        if (method === 'POST' || attempt >= this.retries) throw e;
        await this.backoff(attempt, null, e);
        continue;
      }
      const text = await res.text();
      let parsed: unknown = null;
      if (text) {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = null;
        }
      }
      if (res.status >= 200 && res.status < 300) return parsed as T;
      const e = errorFromResponse(method, path, res.status, parsed);
      const retry = res.status === 429 || (res.status >= 500 && method !== 'POST');
      if (!retry || attempt >= this.retries) throw e;
      await this.backoff(attempt, res.headers.get('retry-after'), e);
    }
  }

  private async backoff(attempt: number, retryAfter: string | null, e: UispApiError): Promise<void> {
    const after = retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : null;
    const ms = Math.min(after ?? this.retryBaseMs * 2 ** attempt, 30_000);
    this.options.logger?.warn('UISP CRM request failed, retrying', { method: e.method, path: e.path, status: e.status, attempt: attempt + 1, inMs: ms });
    await this.sleep(ms);
  }
}
