/**
 * Staff roles. admin: everything, including users and tokens; billing: customers, usage, billing
 * operations; readonly: looks, never changes.
 */
export const ROLES = ['admin', 'billing', 'readonly'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { readonly: 0, billing: 1, admin: 2 };

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** True when `role` may do what `required` may. */
export function hasRole(role: Role, required: Role): boolean {
  return RANK[role] >= RANK[required];
}
