import type { Request, Response } from 'express';
import { hasRole, type StaffUser } from '../../auth/index.js';
import { ConflictError, NotFoundError, UserError, ValidationError } from '../../common/errors.js';
import type { Account } from '../accounts.repository.js';
import type { Service } from '../services.repository.js';

/** What a form shows beside each field, and above the form for problems with no field. */
export interface FormErrors {
  fields: Record<string, string>;
  general: string[];
}

export const NO_ERRORS: FormErrors = { fields: {}, general: [] };

/**
 * Turns a user error into messages beside the fields it names. Anything that is not the user's
 * to fix is rethrown for the error page.
 */
export function formErrorsOf(err: unknown, knownFields: readonly string[]): FormErrors {
  if (!(err instanceof ValidationError || err instanceof ConflictError) || err instanceof NotFoundError) throw err;
  const out: FormErrors = { fields: {}, general: [] };
  for (const i of (err as UserError).issues) {
    if (knownFields.includes(i.field)) out.fields[i.field] = out.fields[i.field] ? `${out.fields[i.field]}; ${i.message}` : i.message;
    else out.general.push(i.field ? `${i.field}: ${i.message}` : i.message);
  }
  if (!err.issues.length) out.general.push(err.message);
  return out;
}

/** Form posts: strings only (a checkbox missing from the post means "off"). */
export function formBody(req: Request, fields: readonly string[], checkboxes: readonly string[] = []): Record<string, unknown> {
  const b = (req.body ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    if (checkboxes.includes(f)) out[f] = b[f] === 'on' || b[f] === 'true' ? 'true' : 'false';
    else if (typeof b[f] === 'string') out[f] = b[f];
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

export function idOf(req: Request, name = 'id'): number {
  const v = req.params[name];
  if (typeof v === 'string' && /^[1-9]\d{0,9}$/.test(v)) return Number(v);
  throw new NotFoundError('There is no such page.');
}

/** Form values are strings; records are typed. */
export function accountFormValues(a: Partial<Account> | Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(a)) out[k] = v === null || v === undefined ? '' : typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v);
  return out;
}

export function serviceFormValues(s: Partial<Service> | Record<string, unknown>): Record<string, string> {
  return accountFormValues(s as Record<string, unknown>);
}
