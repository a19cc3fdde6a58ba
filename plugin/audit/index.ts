/**
 * Audit: who changed what. Other modules record events through the repository the composition
 * root builds once (ctx.repos.audit) and read their history through it.
 */
export { AuditRepository, type AuditEvent, type AuditRecord } from './audit.repository.js';
