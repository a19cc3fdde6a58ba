import { formatDuration } from './format.js';
import { required, type Menu } from './menu-kit.js';
import { ipMenus } from './menus-ip.js';
import { pppMenus } from './menus-ppp.js';
import type { RouterModel } from './model.js';

export { Trap, boolArg, type Menu, type Row, type Fields } from './menu-kit.js';

function releaseName(model: RouterModel): string {
  return `${model.version} (${model.isV7 ? 'stable' : 'long-term'})`;
}

/**
 * The menus the simulator serves, with RouterOS's field names and value formats
 * (reference/routeros.md §7, §8). Each menu lists its rows and the verbs it accepts.
 */
export const menus: Record<string, Menu> = {
  '/system/identity': {
    rows: (m) => [{ name: m.identity }],
    fields: { name: 'string' },
    setSingle: (m, attrs) => {
      m.identity = required(attrs, 'name');
    },
  },

  // Field names beyond uptime, version, cpu-load and board-name (UNCERTAIN, reference §7) follow
  // RouterOS's usual print; values are fixed and only for show.
  '/system/resource': {
    rows: (m) => [
      {
        uptime: formatDuration(m.uptimeSeconds()),
        version: releaseName(m),
        'build-time': m.isV7 ? '2025-02-24 12:00:00' : 'jun/18/2024 10:00:00',
        'factory-software': m.isV7 ? '7.1' : '6.44',
        'free-memory': '1803485184',
        'total-memory': '2147483648',
        cpu: 'ARM64',
        'cpu-count': '4',
        'cpu-frequency': '1400',
        'cpu-load': '3',
        'free-hdd-space': '880541696',
        'total-hdd-space': '1073741824',
        'architecture-name': 'arm64',
        'board-name': m.boardName,
        platform: 'MikroTik',
      },
    ],
  },
  ...pppMenus,
  ...ipMenus,
};

/** Directories that exist (for telling "no such command" from "no such command prefix"). */
export const directories = new Set(['', '/system', '/ppp', '/ip', '/ip/hotspot', '/ip/firewall', '/queue', '/interface']);

/** Whether item `id` exists in the menu at `path` (the menus without ids answer false). */
export function itemExists(model: RouterModel, path: string, id: number): boolean {
  switch (path) {
    case '/ppp/secret':
      return model.secrets.has(id);
    case '/ppp/profile':
      return model.pppProfiles.has(id);
    case '/ppp/active':
      return model.sessions.get(id)?.kind === 'ppp';
    case '/ip/hotspot/active':
      return model.sessions.get(id)?.kind === 'hotspot';
    case '/ip/hotspot/user':
      return model.hotspotUsers.has(id);
    case '/ip/firewall/address-list':
      model.expireAddressList();
      return model.addressList.has(id);
    case '/queue/simple':
      return model.queues.has(id) || id >= 0x1000000;
    default:
      return false;
  }
}
