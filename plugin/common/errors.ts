/**
 * Errors are typed by who must act on them:
 * - UserError: the person who sent the input must fix it (bad config, bad argument, bad request).
 * - OperationalError: the operator must look (database down, router unreachable); usually retried.
 * Each kind maps to an HTTP status in exactly one place (plugin/web/http-errors.ts: HTTP is the
 * web layer's business, and this file is shared with the agent) and to an exit code (below).
 */
export class OctetError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export interface FieldIssue {
  /** Dotted path of the offending field, e.g. `routers.0.host`. */
  field: string;
  message: string;
}

export class UserError extends OctetError {
  readonly issues: FieldIssue[];
  constructor(message: string, issues: FieldIssue[] = [], options?: { cause?: unknown }) {
    super(message, options);
    this.issues = issues;
  }
}

/** Bad configuration file or environment: names the file and the field. */
export class ConfigError extends UserError {
  constructor(
    readonly file: string,
    issues: FieldIssue[],
    message?: string,
  ) {
    super(
      message ??
        `${file}: ` + issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join('; '),
      issues,
    );
  }
}

/** Input failed validation (HTTP 422). */
export class ValidationError extends UserError {}
export class NotFoundError extends UserError {}
export class ConflictError extends UserError {}
export class AuthenticationError extends UserError {}
export class ForbiddenError extends UserError {}
/** Refused for now (too many failed logins): the same request may succeed after `retryAfterSeconds`. */
export class TooManyAttemptsError extends UserError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

export class OperationalError extends OctetError {
  readonly retryable: boolean;
  constructor(message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options);
    this.retryable = options?.retryable ?? true;
  }
}

/** Exit codes: 2 for anything the user must fix (usage, config), 1 for everything else. */
export const EXIT_USER = 2;
export const EXIT_FAILURE = 1;
export function exitCodeOf(err: unknown): number {
  return err instanceof UserError ? EXIT_USER : EXIT_FAILURE;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
