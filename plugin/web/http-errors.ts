import {
  AuthenticationError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  OperationalError,
  TooManyAttemptsError,
  UserError,
  ValidationError,
} from '../common/errors.js';
import { BUSY_RETRY_AFTER_SECONDS, isDatabaseBusy } from '../db/busy.js';

/** The single mapping from error kind to HTTP status (pages and the REST API alike). */
export function httpStatusOf(err: unknown): number {
  if (err instanceof AuthenticationError) return 401;
  if (err instanceof ForbiddenError) return 403;
  if (err instanceof NotFoundError) return 404;
  if (err instanceof ConflictError) return 409;
  if (err instanceof ValidationError) return 422;
  if (err instanceof TooManyAttemptsError) return 429;
  if (err instanceof UserError) return 400;
  if (err instanceof OperationalError) return 503;
  // A busy database (SQLite locked by another process, a MySQL lock wait) changed nothing and
  // will take the same request shortly: the client retries, nobody is paged.
  if (isDatabaseBusy(err)) return 503;
  return 500;
}

/** Seconds a client should wait before retrying (the Retry-After header), or null. */
export function retryAfterOf(err: unknown): number | null {
  if (err instanceof TooManyAttemptsError) return err.retryAfterSeconds;
  if (isDatabaseBusy(err)) return BUSY_RETRY_AFTER_SECONDS;
  return null;
}

/**
 * Errors that the HTTP layer itself raises for a bad request, before any of our code runs:
 * body-parser (body too large, bad JSON, unsupported charset or encoding, too many fields) and
 * the router (a path parameter that is not valid percent-encoding). They are the client's to
 * fix, so they must be answered with their 4xx status and a plain message, never as a 500 that
 * is logged as our failure.
 */
export interface ClientHttpError {
  status: number;
  message: string;
}

const MESSAGES: Record<string, string> = {
  'entity.too.large': 'request body too large',
  'entity.parse.failed': 'request body is not valid JSON',
  'entity.verify.failed': 'request body could not be verified',
  'request.aborted': 'request body was cut off',
  'request.size.invalid': 'request body is shorter or longer than its Content-Length',
  'stream.encoding.set': 'request body could not be read',
  'parameters.too.many': 'too many form fields',
  'charset.unsupported': 'unsupported charset in Content-Type (use UTF-8)',
  'encoding.unsupported': 'unsupported Content-Encoding',
};

export function clientHttpError(err: unknown): ClientHttpError | null {
  if (typeof err !== 'object' || err === null) return null;
  const e = err as { status?: unknown; statusCode?: unknown; expose?: unknown; type?: unknown };
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : null;
  if (status === null || status < 400 || status > 499) return null;
  const type = typeof e.type === 'string' ? e.type : '';
  if (err instanceof URIError) return { status: 400, message: 'the address is not valid percent-encoding' };
  // http-errors marks the errors whose message is safe to show; anything else is ours.
  if (e.expose !== true) return null;
  return { status, message: MESSAGES[type] ?? 'bad request' };
}
