import type { Logger } from '../../../plugin/common/logger.js';

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  meta: Record<string, unknown>;
}

/** A logger that keeps what it was told, so a spec can assert that a warning was given. */
export class RecordingLogger implements Logger {
  constructor(readonly entries: LogEntry[] = [], private readonly base: Record<string, unknown> = {}) {}

  private add(level: LogEntry['level'], message: string, meta?: Record<string, unknown>): void {
    this.entries.push({ level, message, meta: { ...this.base, ...meta } });
  }

  debug(message: string, meta?: Record<string, unknown>): void {
    this.add('debug', message, meta);
  }
  info(message: string, meta?: Record<string, unknown>): void {
    this.add('info', message, meta);
  }
  warn(message: string, meta?: Record<string, unknown>): void {
    this.add('warn', message, meta);
  }
  error(message: string, meta?: Record<string, unknown>): void {
    this.add('error', message, meta);
  }
  child(meta: Record<string, unknown>): Logger {
    return new RecordingLogger(this.entries, { ...this.base, ...meta });
  }
}
