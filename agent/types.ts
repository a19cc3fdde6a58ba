import type { InventorySnapshot, SessionObservation } from '../plugin/common/wire.js';

/**
 * Where collectors (RADIUS server, router poller) hand their records. `append` resolves only
 * once the records are durable on disk; a RADIUS Accounting-Response waits for it.
 */
export interface ObservationSink {
  append(records: SessionObservation[]): Promise<void>;
}

/** Latest subscriber inventory of a router; a snapshot, so the newest replaces the older. */
export interface InventorySink {
  publish(snapshot: InventorySnapshot): void;
}
