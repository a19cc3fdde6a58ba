import type { EnforcementItem } from '../../plugin/common/wire.js';

/**
 * The one interface every enforcement method sits behind (one per configured router or NAS).
 * `enforce` brings the device to the desired state of `items` and says per service whether it
 * got there. `scope: 'full'` means `items` is the whole desired state of the device, so entries
 * Octet made for services not among them are removed too (reconciliation); `'items'` touches
 * only the services given (a change heard on the stream).
 */
export interface EnforcementDevice {
  readonly name: string;
  /**
   * Whether the device's state can be read back (a router: yes; a NAS: no). Reconciliation
   * repairs drift on an observable device and only re-sends unapplied changes to the others.
   */
  readonly observable: boolean;
  enforce(items: readonly EnforcementItem[], scope: 'full' | 'items', signal: AbortSignal): Promise<DeviceResult>;
  /** Set by the enforcer: called when the device's connection drops by itself (a reboot, a cut). */
  onDrop?: () => void;
  /** Drops connections; the next enforce reconnects. */
  close(): Promise<void>;
}

export interface DeviceResult {
  /** Per service: null when the device is in the desired state, else why not. */
  outcomes: Map<number, string | null>;
  /** How many changes were made (0 when the device already matched). */
  changes: number;
  /** Services whose state was repaired or set (not merely confirmed). */
  changed: Set<number>;
}

/** The device could not be reached or talked to at all: retried with backoff, reported per service. */
export class DeviceUnreachableError extends Error {}
