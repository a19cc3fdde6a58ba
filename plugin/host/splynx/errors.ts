import { OperationalError } from '../../common/errors.js';

/**
 * A failed Splynx API call, typed by what the caller can do about it. Splynx answers errors as
 * `{"error": {"message", "code", "internal_code"}}`; the internal code is kept (e.g.
 * EXPIRED_ACCESS_TOKEN, INVALID_INPUT_DATA, INVALID_SASH). Messages name the method and path,
 * never the query string or a header (a sash or key could be there).
 */
export class SplynxApiError extends OperationalError {
  constructor(
    message: string,
    readonly status: number | null,
    readonly internalCode: string | null,
    readonly method: string,
    readonly path: string,
    options: { retryable: boolean; cause?: unknown },
  ) {
    super(message, options);
  }
}

/** 401/403: the key, its permissions or a token; retrying the same request will not help. */
export class SplynxAuthError extends SplynxApiError {}
/** 404. */
export class SplynxNotFoundError extends SplynxApiError {}
/** 400/422: Splynx refused the data (a field it does not know, a missing one). */
export class SplynxInputError extends SplynxApiError {}
/** 429, 5xx or the network: retried with backoff, then reported. */
export class SplynxUnavailableError extends SplynxApiError {}

interface ErrorBody {
  error?: { message?: unknown; code?: unknown; internal_code?: unknown };
}

/** Maps an HTTP answer that is not the documented success code to its typed error. */
export function errorFromResponse(method: string, path: string, status: number, body: unknown): SplynxApiError {
  const e = (body as ErrorBody | null)?.error;
  const internal = typeof e?.internal_code === 'string' ? e.internal_code : null;
  const text = typeof e?.message === 'string' ? e.message : `HTTP ${status}`;
  const message = `Splynx ${method} ${path}: ${status}${internal ? ` ${internal}` : ''}: ${text.slice(0, 300)}`;
  if (status === 401 || status === 403) return new SplynxAuthError(message, status, internal, method, path, { retryable: false });
  if (status === 404) return new SplynxNotFoundError(message, status, internal, method, path, { retryable: false });
  if (status === 429 || status >= 500) return new SplynxUnavailableError(message, status, internal, method, path, { retryable: true });
  return new SplynxInputError(message, status, internal, method, path, { retryable: false });
}

export function networkError(method: string, path: string, cause: unknown): SplynxUnavailableError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new SplynxUnavailableError(`Splynx ${method} ${path}: ${why}`, null, null, method, path, { retryable: true, cause });
}
