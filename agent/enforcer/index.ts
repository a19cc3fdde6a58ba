import type { Clock } from '../../plugin/common/clock.js';
import type { Logger } from '../../plugin/common/logger.js';
import type { RouterConfig } from '../poller/config.js';
import type { RouterOsClient } from '../routeros/index.js';
import { deviceKind, type EnforcementConfig } from './config.js';
import { Enforcer } from './enforcer.js';
import { PluginLink } from './plugin-link.js';
import { DynamicAuthClient } from './radius-coa.js';
import { RadiusDevice, type OpenSessionRef } from './radius-device.js';
import { RouterOsDevice } from './routeros-device.js';
import { AppliedStateFile } from './state-file.js';
import type { EnforcementDevice } from './types.js';

export { Enforcer } from './enforcer.js';
export { enforcerProblems, type EnforcerHealth } from './health.js';
export { enforcementConfigSchema, type EnforcementConfig } from './config.js';

export interface EnforcerDeps {
  config: EnforcementConfig;
  plugin: { url: string; token: string; timeoutSeconds: number };
  routers: RouterConfig[];
  nases: Array<{ name: string; address: string; secret: string }>;
  stateDir: string;
  connect: (r: RouterConfig) => Promise<RouterOsClient>;
  /** Open RADIUS sessions of a login on a NAS (empty when the agent has no accounting). */
  sessions: (nas: string, login: string) => OpenSessionRef[];
  dictionaryFiles: string[];
  clock: Clock;
  logger: Logger;
  fetch?: typeof fetch;
}

/** Builds the enforcer from the agent's config (agent/main.ts is the only caller besides tests). */
export function createEnforcer(d: EnforcerDeps): { enforcer: Enforcer; close(): Promise<void> } {
  let radius: DynamicAuthClient | null = null;
  let enforcer: Enforcer | null = null;
  const devices: EnforcementDevice[] = d.config.devices.map((dev) => {
    if (deviceKind(dev) === 'nas') {
      const nas = d.nases.find((n) => n.name === dev.name)!;
      radius ??= new DynamicAuthClient(d.dictionaryFiles);
      return new RadiusDevice({
        name: dev.name,
        target: { address: dev.radius.address ?? nas.address, port: dev.radius.port, secret: nas.secret, timeoutMs: dev.radius.timeoutSeconds * 1000, retries: dev.radius.retries },
        client: radius,
        sessions: d.sessions,
        previous: (id) => enforcer?.previousState(id) ?? null,
        suspend: dev.suspend === 'radius' ? 'radius' : 'none',
        throttle: dev.throttle === 'radius' ? 'radius' : 'none',
        ...(dev.radius.restoreRateLimit ? { restoreRateLimit: dev.radius.restoreRateLimit } : {}),
        logger: d.logger,
      });
    }
    const router = d.routers.find((r) => r.name === dev.name)!;
    return new RouterOsDevice({
      router,
      settings: {
        suspend: dev.suspend === 'radius' ? 'none' : dev.suspend,
        throttle: dev.throttle === 'radius' ? 'none' : dev.throttle,
        list: dev.addressList,
        ...(dev.throttleProfile ? { throttleProfile: dev.throttleProfile } : {}),
      },
      connect: d.connect,
      logger: d.logger,
    });
  });
  enforcer = new Enforcer({
    link: new PluginLink({ url: d.plugin.url, token: d.plugin.token, timeoutMs: d.plugin.timeoutSeconds * 1000, ...(d.fetch ? { fetch: d.fetch } : {}) }),
    devices,
    stateFile: new AppliedStateFile(d.stateDir, d.logger),
    clock: d.clock,
    logger: d.logger,
    reconcileMs: d.config.reconcileSeconds * 1000,
    maxBackoffMs: d.config.maxBackoffSeconds * 1000,
    retryFailedMs: d.config.retryFailedSeconds * 1000,
  });
  const e = enforcer;
  return {
    enforcer: e,
    close: async () => {
      await e.stop();
      await radius?.close();
    },
  };
}
