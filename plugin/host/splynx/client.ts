import type { Logger } from '../../common/logger.js';
import { errorFromResponse, networkError, SplynxApiError, SplynxAuthError } from './errors.js';
import { buildQuery, NonceSource, signatureHeader, splynxSignature, tokenHeader } from './signature.js';

/**
 * HTTP client of Splynx API v2.0 (`<url>/api/2.0/<path>`), on Node's fetch.
 *
 * Auth: `signature` signs every request with the API key (nonce, HMAC-SHA256); `token` trades a
 * signature for an access token once (POST admin/auth/tokens, auth_type api_key), sends
 * `Splynx-EA (access_token=…)`, renews it with the refresh token 5 s before it expires and logs in
 * again when the refresh token is gone too. A token is bound to the User-Agent that made it, so
 * every request carries the same one. A request carrying an admin's `sash` is always signed
 * (the token form has no place for it).
 *
 * Success is exactly the documented code per method (GET/OPTIONS 200, POST 201, PUT 202,
 * DELETE/HEAD 204); anything else becomes a typed error. 429, 5xx and network failures are retried
 * with exponential backoff (Retry-After honoured), except a POST answered 5xx or cut off: it may
 * have been applied, so the caller (who knows how to look it up) decides. Secrets never reach logs.
 */
export type SplynxAuthMode = 'signature' | 'token';

export interface SplynxClientOptions {
  /** The Splynx URL, e.g. https://splynx.example.net (the API lives under /api/2.0/). */
  url: string;
  apiKey: string;
  apiSecret: string;
  auth: SplynxAuthMode;
  userAgent?: string;
  logger?: Logger;
  /** Seconds since the epoch, for token expiry (tests move it). */
  nowSeconds?: () => number;
  retry?: { attempts: number; baseMs: number; maxMs: number };
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
}

export interface SplynxResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestOptions {
  query?: Record<string, unknown>;
  body?: unknown;
  sash?: string;
}

const SUCCESS: Record<string, number> = { GET: 200, OPTIONS: 200, POST: 201, PUT: 202, DELETE: 204, HEAD: 204 };
export const DEFAULT_USER_AGENT = 'Octet Splynx adapter/1';
const TOKENS = 'admin/auth/tokens';

interface TokenSet {
  access: string;
  accessExp: number;
  refresh: string;
  refreshExp: number;
}

/** What the client counted since it was made: the host page shows retries. */
export interface ClientStats {
  requests: number;
  retries: number;
  lastRetryReason: string | null;
}

export class SplynxClient {
  private readonly base: string;
  private readonly nonces = new NonceSource();
  private token: TokenSet | null = null;
  private tokenPending: Promise<TokenSet> | null = null;
  readonly stats: ClientStats = { requests: 0, retries: 0, lastRetryReason: null };

  constructor(private readonly o: SplynxClientOptions) {
    this.base = `${o.url.replace(/\/+$/, '')}/api/2.0/`;
  }

  private get userAgent(): string {
    return this.o.userAgent ?? DEFAULT_USER_AGENT;
  }
  private now(): number {
    return this.o.nowSeconds ? this.o.nowSeconds() : Math.floor(Date.now() / 1000);
  }

  async get<T = unknown>(path: string, query?: Record<string, unknown>, sash?: string): Promise<SplynxResponse<T>> {
    return this.request<T>('GET', path, { query, sash });
  }
  async head(path: string, query?: Record<string, unknown>, sash?: string): Promise<SplynxResponse<null>> {
    return this.request<null>('HEAD', path, { query, sash });
  }
  async post<T = unknown>(path: string, body: unknown): Promise<SplynxResponse<T>> {
    return this.request<T>('POST', path, { body });
  }
  async put<T = unknown>(path: string, body: unknown): Promise<SplynxResponse<T>> {
    return this.request<T>('PUT', path, { body });
  }
  async delete(path: string): Promise<SplynxResponse<null>> {
    return this.request<null>('DELETE', path, {});
  }

  /** Total of a list with these filters: HEAD and its X-total-count header. */
  async count(path: string, query: Record<string, unknown> = {}): Promise<number> {
    const r = await this.head(path, query);
    const n = Number(r.headers.get('x-total-count'));
    if (!Number.isSafeInteger(n) || n < 0) throw new SplynxApiError(`Splynx HEAD ${path}: no X-total-count header`, r.status, null, 'HEAD', path, { retryable: false });
    return n;
  }

  /** One page of a list, ordered by id, with limit/offset (Splynx's pagination). */
  async page<T>(path: string, query: Record<string, unknown>, limit: number, offset = 0): Promise<T[]> {
    const r = await this.get<T[]>(path, { ...query, limit, offset });
    if (!Array.isArray(r.body)) throw new SplynxApiError(`Splynx GET ${path}: expected a list`, r.status, null, 'GET', path, { retryable: false });
    return r.body;
  }

  async request<T>(method: string, path: string, options: RequestOptions): Promise<SplynxResponse<T>> {
    const retry = this.o.retry ?? { attempts: 4, baseMs: 250, maxMs: 8000 };
    let tokenRetried = false;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once<T>(method, path, options);
      } catch (err) {
        if (err instanceof SplynxAuthError && this.o.auth === 'token' && !options.sash && !tokenRetried && /TOKEN/.test(err.internalCode ?? '')) {
          // The server dropped our token early (restart, ban list): one fresh login, then give up.
          tokenRetried = true;
          this.token = null;
          attempt--;
          continue;
        }
        if (!(err instanceof SplynxApiError) || !err.retryable || attempt >= retry.attempts) throw err;
        if (method === 'POST' && err.status !== 429) throw err;
        const wait = Math.min(retry.maxMs, (err as SplynxApiError & { retryAfterMs?: number }).retryAfterMs ?? retry.baseMs * 2 ** (attempt - 1));
        this.stats.retries++;
        this.stats.lastRetryReason = err.message;
        this.o.logger?.warn('splynx request retried', { method, path, attempt, waitMs: wait, reason: err.message });
        await (this.o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))))(wait);
      }
    }
  }

  private async authorization(sash?: string): Promise<string> {
    if (this.o.auth === 'signature' || sash) return signatureHeader(this.o.apiKey, this.o.apiSecret, this.nonces.next(), sash);
    return tokenHeader((await this.validToken()).access);
  }

  private async validToken(): Promise<TokenSet> {
    const t = this.token;
    if (t && this.now() + 5 < t.accessExp) return t;
    if (!this.tokenPending) {
      this.tokenPending = (async () => {
        let next: TokenSet | null = null;
        if (t && this.now() + 5 < t.refreshExp) {
          next = await this.send<unknown>('GET', `${TOKENS}/${encodeURIComponent(t.refresh)}`, {}, null).then(
            (r) => parseTokens(r.body),
            () => null,
          );
        }
        if (!next) {
          const nonce = this.nonces.next();
          const r = await this.send<unknown>('POST', TOKENS, { body: { auth_type: 'api_key', key: this.o.apiKey, signature: splynxSignature(nonce, this.o.apiKey, this.o.apiSecret), nonce } }, null);
          next = parseTokens(r.body);
        }
        this.token = next;
        return next;
      })().finally(() => (this.tokenPending = null));
    }
    return this.tokenPending;
  }

  private async once<T>(method: string, path: string, options: RequestOptions): Promise<SplynxResponse<T>> {
    return this.send<T>(method, path, options, await this.authorization(options.sash));
  }

  private async send<T>(method: string, path: string, options: RequestOptions, authorization: string | null): Promise<SplynxResponse<T>> {
    const qs = options.query && Object.keys(options.query).length ? `?${buildQuery(options.query)}` : '';
    const headers: Record<string, string> = { 'User-Agent': this.userAgent, Accept: 'application/json' };
    if (authorization) headers.Authorization = authorization;
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    this.stats.requests++;
    let res: Response;
    try {
      res = await (this.o.fetch ?? fetch)(this.base + path + qs, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 30_000),
      });
    } catch (err) {
      throw networkError(method, path, err);
    }
    let text: string;
    try {
      text = method === 'HEAD' ? '' : await res.text();
    } catch (err) {
      throw networkError(method, path, err);
    }
    let body: unknown = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = null;
      }
    }
    const expected = path.startsWith(`${TOKENS}`) && method === 'GET' ? 200 : SUCCESS[method];
    if (res.status !== expected) {
      const err = errorFromResponse(method, path, res.status, body);
      const after = Number(res.headers.get('retry-after'));
      if (Number.isFinite(after) && after > 0) (err as SplynxApiError & { retryAfterMs?: number }).retryAfterMs = after * 1000;
      throw err;
    }
    return { status: res.status, headers: res.headers, body: body as T };
  }
}

function parseTokens(body: unknown): TokenSet {
  const b = body as Record<string, unknown> | null;
  const access = b?.access_token;
  const refresh = b?.refresh_token;
  const accessExp = Number(b?.access_token_expiration);
  const refreshExp = Number(b?.refresh_token_expiration);
  if (typeof access !== 'string' || typeof refresh !== 'string' || !Number.isFinite(accessExp) || !Number.isFinite(refreshExp)) {
    throw new SplynxApiError('Splynx admin/auth/tokens: the answer carries no token', null, null, 'POST', TOKENS, { retryable: false });
  }
  return { access, accessExp, refresh, refreshExp };
}
