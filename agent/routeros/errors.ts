import { OperationalError } from '../../plugin/common/errors.js';

/**
 * Errors from talking to a router. All are operational: an operator (or a retry) must act, not
 * the person who typed a command. `retryable` says whether trying again unchanged can help.
 */
export class RouterOsError extends OperationalError {}

/** TCP/TLS trouble: refused, reset, closed before a reply was complete. */
export class RouterOsConnectionError extends RouterOsError {}

/** The router's certificate did not match the pinned fingerprint or CA. Retrying will not help. */
export class RouterOsTlsError extends RouterOsConnectionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, retryable: false });
  }
}

/** Connect, login or a command took longer than allowed. */
export class RouterOsTimeoutError extends RouterOsError {
  constructor(
    message: string,
    readonly phase: 'connect' | 'command',
  ) {
    super(message);
  }
}

/** The router sent `!fatal` (it closes the connection next); `reason` is its bare reason word. */
export class RouterOsFatalError extends RouterOsConnectionError {
  constructor(readonly reason: string) {
    super(`router closed the API session: ${reason}`);
  }
}

/** Bad user name or password (the router's trap text is kept in `routerMessage`). */
export class RouterOsLoginError extends RouterOsError {
  constructor(readonly routerMessage: string) {
    super(`login refused by router: ${routerMessage}`, { retryable: false });
  }
}

export interface Trap {
  /** RouterOS sends `=category=` only "on some occasions" (API7); absent means not sent. */
  category: number | undefined;
  message: string;
}

/**
 * The router refused a command with `!trap`. Several traps can precede the `!done` (e.g. an unknown
 * menu level); all are kept in `traps`, the first gives `category` and `routerMessage`.
 */
export class RouterOsTrapError extends RouterOsError {
  readonly category: number | undefined;
  readonly routerMessage: string;
  constructor(
    readonly command: string,
    readonly traps: Trap[],
  ) {
    const first = traps[0] ?? { category: undefined, message: '(no message)' };
    super(`${command}: ${traps.map((t) => t.message).join(', ')}`, { retryable: false });
    this.category = first.category;
    this.routerMessage = first.message;
  }
}

/** The byte stream broke the framing rules. The connection cannot be trusted afterwards. */
export class RouterOsProtocolError extends RouterOsConnectionError {}

/** Trap categories (API7). */
export const TrapCategory = {
  MissingItemOrCommand: 0,
  ArgumentValueFailure: 1,
  Interrupted: 2,
  ScriptingFailure: 3,
  GeneralFailure: 4,
  ApiFailure: 5,
  TtyFailure: 6,
  ReturnValue: 7,
} as const;
