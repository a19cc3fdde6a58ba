import winston from 'winston';
import { redact, redactText } from './redact.js';

/** The logging interface every module depends on; winston sits behind it. */
export interface Logger {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
  child(meta: Record<string, unknown>): Logger;
}

export type LogFormat = 'json' | 'text' | 'auto';
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface LoggerOptions {
  level?: LogLevel;
  /** json: one JSON object per line (production); text: readable; auto: text on a terminal. */
  format?: LogFormat;
  /** Extra sink (tests capture log lines here). */
  stream?: NodeJS.WritableStream;
  silent?: boolean;
}

const redactFormat = winston.format((info) => {
  const symbols = Object.getOwnPropertySymbols(info);
  const cleaned = redact({ ...info }) as Record<string | symbol, unknown>;
  for (const s of symbols) cleaned[s] = (info as Record<symbol, unknown>)[s];
  cleaned.message = redactText(String(info.message));
  return cleaned as winston.Logform.TransformableInfo;
});

export function createLogger(options: LoggerOptions = {}): Logger {
  const format = options.format ?? 'auto';
  const useText = format === 'text' || (format === 'auto' && process.stdout.isTTY === true);
  const transports: winston.transport[] = [];
  if (options.stream) {
    transports.push(new winston.transports.Stream({ stream: options.stream }));
  } else {
    // Logs go to stderr so that command output on stdout stays clean for scripts.
    transports.push(new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] }));
  }
  const logger = winston.createLogger({
    level: options.level ?? 'info',
    silent: options.silent ?? false,
    format: winston.format.combine(
      winston.format.errors({ stack: true }),
      redactFormat(),
      winston.format.timestamp(),
      useText
        ? winston.format.printf(({ timestamp, level, message, ...meta }) => {
            const rest = Object.keys(meta).length ? ' ' + JSON.stringify(meta) : '';
            return `${String(timestamp)} ${level.padEnd(5)} ${String(message)}${rest}`;
          })
        : winston.format.json(),
    ),
    transports,
  });
  return wrap(logger);
}

function wrap(w: winston.Logger): Logger {
  return {
    debug: (m, meta) => void w.debug(m, meta),
    info: (m, meta) => void w.info(m, meta),
    warn: (m, meta) => void w.warn(m, meta),
    error: (m, meta) => void w.error(m, meta),
    child: (meta) => wrap(w.child(meta)),
  };
}

/** A logger that drops everything: for tests that do not look at logs. */
export const nullLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return nullLogger;
  },
};
