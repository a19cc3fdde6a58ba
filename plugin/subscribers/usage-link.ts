import type { Transaction } from 'sequelize';

/**
 * The seam to the usage module (issue 5): what subscribers needs from it, and nothing more.
 * The module's composition (index.ts) binds it to plugin/usage/index.ts.
 */
export interface UsageLink {
  /**
   * Re-decides the service of the login's usage by the usage module's one assignment rule, in
   * the caller's transaction (so the service and its history appear together): on creation, the
   * usage recorded while no service claimed the login moves onto the new service; on a change of
   * dates or an end, rows outside the service's dates leave it. Returns how many hourly usage
   * rows moved to a service (for the audit entry).
   */
  adoptUnassigned(service: { id: number; accountId: number; login: string }, transaction: Transaction): Promise<number>;
  /** Which of these logins have unassigned usage at all (so a bulk import asks only for those). */
  loginsWithUnassigned(logins: string[], transaction: Transaction): Promise<Set<string>>;
}

/** Used where no usage module is present (unit specs with fakes). */
export const noUsageLink: UsageLink = {
  adoptUnassigned: async () => 0,
  loginsWithUnassigned: async () => new Set(),
};
