import { ManualClock } from '../../../plugin/common/clock.js';
import type { Database } from '../../../plugin/db/database.js';
import { FakeAuditRepository } from './audit.js';
import { FakeDatabase } from './database.js';
import { FakeIngestRepository } from './ingest.js';
import { FakeInventoryRepository } from './inventory.js';
import { RecordingLogger } from './logger.js';
import { FakeUsageAssignment, FakeUsageRepository } from './usage.js';

export { fakeAuthDeps } from './auth.js';
export { FakeDatabase } from './database.js';
export type { LogEntry } from './logger.js';

/**
 * The one factory of typed in-memory fakes for service specs. Each fake `implements Pick<Repo,
 * …>` of the real repository's type, so renaming or retyping a repository method fails to
 * compile here, not silently at run time; all share one fake database, whose rolled-back
 * transactions put every fake back as it was, and one settable clock.
 */
export function createFakes(options: { now?: string | Date } = {}) {
  const db = new FakeDatabase();
  return {
    clock: new ManualClock(options.now ?? '2026-03-01T00:00:00Z'),
    db,
    logger: new RecordingLogger(),
    audit: new FakeAuditRepository(db),
    ingest: new FakeIngestRepository(db),
    inventory: new FakeInventoryRepository(db),
    usage: new FakeUsageRepository(db),
    assignment: new FakeUsageAssignment(),
  };
}

export type Fakes = ReturnType<typeof createFakes>;

/**
 * Hands a fake to a service whose dependency is typed as the repository class (private fields
 * make a class nominal): the fake must match every member it has of the class's public ones.
 */
export function asDependency<T>(fake: Partial<T>): T {
  return fake as T;
}

/** The fake database as the services' `Database` (they use only `transaction`). */
export function asDatabase(db: FakeDatabase): Database {
  return asDependency<Database>(db);
}
