/**
 * Jobs: what scheduled work shares across modules.
 *
 * - `LeaseRepository(db)`: database leases judged by the database's clock, with a fencing token
 *   (`acquire(name, holder, ttlMs)` -> Lease | null; `prove(lease, t)` first in every transaction
 *   doing the lease's work, throwing `LeaseLostError` when the lease was lost; `renew`, `release`).
 */
export { LeaseLostError, LeaseRepository, type Lease } from './lease.js';
