import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError, type FieldIssue } from './errors.js';

/**
 * Reads a YAML (or JSON) config file, substitutes `${ENV_NAME}` references from the environment
 * (so secrets can stay out of the file) and validates the result against a zod schema.
 * Every problem comes back as one ConfigError naming the file and each offending field.
 */
export function loadConfigFile<S extends z.ZodType>(
  file: string,
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [{ field: '', message: code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? String(err)})` }]);
  }
  return parseConfigText(text, file, schema, env);
}

export function parseConfigText<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const where = e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '';
    throw new ConfigError(file, [{ field: where, message: `not valid YAML: ${e.message.split('\n')[0]}` }]);
  }
  const raw: unknown = doc.toJS() ?? {};
  const issues: FieldIssue[] = [];
  const substituted = substituteEnv(raw, [], env, issues);
  if (issues.length > 0) throw new ConfigError(file, issues);
  const parsed = schema.safeParse(substituted);
  if (!parsed.success) throw new ConfigError(file, zodIssues(parsed.error));
  return parsed.data;
}

export function zodIssues(error: z.ZodError): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ field: base ? `${base}.${key}` : key, message: 'unknown key' });
    } else {
      out.push({ field: base || '(top level)', message: issue.message });
    }
  }
  return out;
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

function substituteEnv(value: unknown, path: string[], env: NodeJS.ProcessEnv, issues: FieldIssue[]): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (_m, name: string) => {
      const v = env[name];
      if (v === undefined) {
        issues.push({ field: path.join('.'), message: `environment variable ${name} is not set` });
        return '';
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, [...path, String(i)], env, issues));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substituteEnv(v, [...path, k], env, issues)]),
    );
  }
  return value;
}
