import { hasRole, type Role } from '../auth/index.js';

/** An entry of the admin shell's navigation; plugin modules contribute theirs. */
export interface NavItem {
  href: string;
  label: string;
  /** The least role that sees the entry. */
  role: Role;
  order?: number;
}

export function navFor(items: NavItem[], role: Role): NavItem[] {
  return items.filter((i) => hasRole(role, i.role)).sort((a, b) => (a.order ?? 100) - (b.order ?? 100));
}
