import type { Request, Response } from 'express';
import { hasRole, type StaffUser } from '../../auth/index.js';
import { ConflictError, NotFoundError, ValidationError, type FieldIssue } from '../../common/errors.js';

/** What a form shows beside each field, and above it for problems with no field of the form. */
export interface FormErrors {
  fields: Record<string, string>;
  general: string[];
}

export const NO_ERRORS: FormErrors = { fields: {}, general: [] };

/** A user error as messages beside the fields; anything not the user's to fix goes to the error page. */
export function formErrorsOf(err: unknown, knownFields: readonly string[], extra: FieldIssue[] = []): FormErrors {
  if (!(err instanceof ValidationError || err instanceof ConflictError) || err instanceof NotFoundError) throw err;
  return errorsOf([...extra, ...err.issues], knownFields, err.issues.length || extra.length ? null : err.message);
}

export function errorsOf(issues: FieldIssue[], knownFields: readonly string[], message: string | null = null): FormErrors {
  const out: FormErrors = { fields: {}, general: [] };
  for (const i of issues) {
    if (knownFields.includes(i.field)) out.fields[i.field] = out.fields[i.field] ? `${out.fields[i.field]}; ${i.message}` : i.message;
    else out.general.push(i.field ? `${i.field}: ${i.message}` : i.message);
  }
  if (message) out.general.push(message);
  return out;
}

/** Form posts: strings only; a checkbox missing from the post means "off". */
export function formBody(req: Request, fields: readonly string[], checkboxes: readonly string[] = []): Record<string, string> {
  const b = (req.body ?? {}) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const f of fields) {
    if (checkboxes.includes(f)) out[f] = b[f] === 'on' || b[f] === 'true' ? 'true' : 'false';
    else if (typeof b[f] === 'string') out[f] = b[f] as string;
  }
  return out;
}

export function canWrite(res: Response): boolean {
  const user = res.locals.user as StaffUser | null;
  return !!user && hasRole(user.role, 'billing');
}

export function actorOf(res: Response): string {
  return `user:${(res.locals.user as StaffUser).id}`;
}

/** A positive id from the query string or the path; anything else is "no such page". */
export function idFrom(v: unknown): number {
  if (typeof v === 'string' && /^[1-9]\d{0,9}$/.test(v)) return Number(v);
  throw new NotFoundError('There is no such page.');
}

export const utc = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
