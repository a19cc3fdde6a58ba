import { OperationalError } from '../../common/errors.js';

/**
 * A failed UISP CRM API call, typed by what the caller can do about it. The CRM answers errors as
 * `{"code", "message"}` and, on 422, `errors: {field: [messages]}` (Error401/404/422 in the API
 * blueprint). Messages name the method and path, never a header (the app key is one).
 */
export class UispApiError extends OperationalError {
  constructor(
    message: string,
    readonly status: number | null,
    readonly method: string,
    readonly path: string,
    options: { retryable: boolean; cause?: unknown },
  ) {
    super(message, options);
  }
}

/** 401: the app key is missing, wrong or revoked. */
export class UispAuthError extends UispApiError {}
/** 403: the app key is of the wrong type (a Read key used for a write). */
export class UispForbiddenError extends UispApiError {}
/** 404: no such object. */
export class UispNotFoundError extends UispApiError {}
/** 400/422: the CRM refused the data; `fields` holds its per-field messages. */
export class UispValidationError extends UispApiError {
  constructor(
    message: string,
    status: number,
    method: string,
    path: string,
    readonly fields: Record<string, string[]>,
  ) {
    super(message, status, method, path, { retryable: false });
  }
}
/** 429, 5xx or the network: retried with backoff, then reported. */
export class UispUnavailableError extends UispApiError {}

interface ErrorBody {
  code?: unknown;
  message?: unknown;
  errors?: unknown;
}

function fieldsOf(errors: unknown): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (errors && typeof errors === 'object' && !Array.isArray(errors)) {
    for (const [field, list] of Object.entries(errors)) out[field] = Array.isArray(list) ? list.map(String) : [String(list)];
  }
  return out;
}

export function errorFromResponse(method: string, path: string, status: number, body: unknown): UispApiError {
  const b = (body && typeof body === 'object' ? body : {}) as ErrorBody;
  const text = typeof b.message === 'string' ? b.message.slice(0, 300) : `HTTP ${status}`;
  const fields = fieldsOf(b.errors);
  const detail = Object.keys(fields).length ? ` (${Object.entries(fields).map(([f, m]) => `${f}: ${m.join(', ')}`).join('; ')})` : '';
  const message = `UISP CRM ${method} ${path}: ${status}: ${text}${detail}`.slice(0, 600);
  if (status === 401) return new UispAuthError(message, status, method, path, { retryable: false });
  if (status === 403) return new UispForbiddenError(message, status, method, path, { retryable: false });
  if (status === 404) return new UispNotFoundError(message, status, method, path, { retryable: false });
  if (status === 429 || status >= 500) return new UispUnavailableError(message, status, method, path, { retryable: true });
  return new UispValidationError(message, status, method, path, fields);
}

export function networkError(method: string, path: string, cause: unknown): UispUnavailableError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new UispUnavailableError(`UISP CRM ${method} ${path}: ${why}`, null, method, path, { retryable: true, cause });
}
