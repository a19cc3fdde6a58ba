/**
 * Redaction of secrets before anything reaches a log line. Pure functions, applied by the
 * logger to every message and metadata object; tested on their own.
 */
const SECRET_KEY = /(pass(word|wd|phrase)?|secret|token|authorization|cookie|api[-_]?key|credential|private[-_]?key|session[-_]?id|csrf)/i;

export const REDACTED = '[REDACTED]';

const TEXT_PATTERNS: Array<[RegExp, string]> = [
  // scheme://user:password@host  ->  scheme://user:[REDACTED]@host
  [/([a-z][a-z0-9+.-]*:\/\/[^:\/\s@]*):([^@\s\/]+)@/gi, `$1:${REDACTED}@`],
  // Authorization: Bearer xyz / Basic xyz
  [/\b(bearer|basic)\s+[A-Za-z0-9._~+\/=-]+/gi, `$1 ${REDACTED}`],
  // key=value or key: value pairs whose key names a secret
  [
    /\b([\w.-]*(?:pass(?:word|wd|phrase)?|secret|token|api[-_]?key)[\w.-]*)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;&"']+)/gi,
    `$1$2${REDACTED}`,
  ],
];

export function redactText(text: string): string {
  let out = text;
  for (const [re, rep] of TEXT_PATTERNS) out = out.replace(re, rep);
  return out;
}

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Deep copy of `value` with secret-named keys replaced and secret-looking text masked. */
export function redact(value: unknown, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (value instanceof Error) {
    return { name: value.name, message: redactText(value.message), stack: value.stack ? redactText(value.stack) : undefined };
  }
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return `<${value.length} bytes>`;
  if (Array.isArray(value)) return value.map((v) => redact(v, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = isSecretKey(k) && v !== undefined && v !== null && v !== '' ? REDACTED : redact(v, seen);
  }
  return out;
}
