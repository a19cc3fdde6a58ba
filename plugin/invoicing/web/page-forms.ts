import type { Response } from 'express';
import { hasRole, type StaffUser } from '../../auth/index.js';
import type { FieldIssue } from '../../common/errors.js';

/** Messages beside the fields they name, and above the form for the rest. */
export interface PageErrors {
  fields: Record<string, string>;
  general: string[];
}

export function formErrors(issues: readonly FieldIssue[]): PageErrors {
  const out: PageErrors = { fields: {}, general: [] };
  for (const i of issues) {
    if (i.field) out.fields[i.field] = out.fields[i.field] ? `${out.fields[i.field]}; ${i.message}` : i.message;
    else out.general.push(i.message);
  }
  return out;
}

/** Billing staff (and admins) issue, credit and start runs; read-only staff only look. */
export function canBill(res: Response): boolean {
  const user = res.locals.user as StaffUser | null;
  return !!user && hasRole(user.role, 'billing');
}
