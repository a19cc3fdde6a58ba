import type { DeviceStatus } from './device-worker.js';

/**
 * The enforcer's part of the agent's GET /healthz: whether it hears the plugin, how many desired
 * changes wait to be applied (per device), the newest version it applied, and which devices it
 * cannot reach. Problems make the agent report itself degraded, so a monitor pages someone
 * before a paying customer stays blocked.
 */
export interface EnforcerHealth {
  stream: { up: boolean; lastError: string | null };
  /** Desired changes not yet applied, in all and per device. */
  pendingChanges: number;
  pendingByDevice: Record<string, number>;
  /** The highest desired-state version this agent applied (0: none yet). */
  lastAppliedVersion: number;
  /** Applied reports the plugin has not taken yet. */
  pendingReports: number;
  /** Routers and NASes the last attempt could not reach, with why. */
  unreachable: Array<{ device: string; error: string }>;
  devices: DeviceStatus[];
}

export interface EnforcerHealthInputs {
  stream: { up: boolean; lastError: string | null };
  devices: DeviceStatus[];
  pendingReports: number;
  /** Per desired item: its device and whether it is applied at its version. */
  items: Array<{ device: string; applied: boolean }>;
  appliedVersions: number[];
}

/** Pure: the enforcer's health from its state. */
export function assessEnforcer(i: EnforcerHealthInputs): EnforcerHealth {
  const pendingByDevice: Record<string, number> = Object.fromEntries(i.devices.map((d) => [d.device, 0]));
  let pendingChanges = 0;
  for (const item of i.items) {
    if (item.applied) continue;
    pendingChanges++;
    pendingByDevice[item.device] = (pendingByDevice[item.device] ?? 0) + 1;
  }
  return {
    stream: i.stream,
    pendingChanges,
    pendingByDevice,
    lastAppliedVersion: i.appliedVersions.reduce((a, b) => Math.max(a, b), 0),
    pendingReports: i.pendingReports,
    unreachable: i.devices.filter((d) => !d.up && d.lastError !== null).map((d) => ({ device: d.device, error: d.lastError! })),
    devices: i.devices,
  };
}

/** What in the enforcer's health is a problem for /healthz. */
export function enforcerProblems(h: EnforcerHealth): string[] {
  const out: string[] = [];
  if (!h.stream.up && h.stream.lastError) out.push(`enforcement: not hearing the plugin: ${h.stream.lastError}`);
  for (const u of h.unreachable) out.push(`enforcement: ${u.device} unreachable (${h.pendingByDevice[u.device] ?? 0} changes pending): ${u.error}`);
  return out;
}
