import type { PrintOptions, Row } from '../routeros/client.js';
import { RouterText } from '../routeros/text.js';
import type { InventoryEntry } from '../../plugin/common/wire.js';
import type { RouterConfig } from './config.js';
import type { SessionKind, SessionRow } from './decide.js';

/** What the poller needs from a router connection (RouterOsClient has it; tests may fake it). */
export interface PollerClient {
  print(menu: string, options?: PrintOptions): Promise<Row[]>;
  readonly closed: boolean;
  destroy(): void;
}

export class RouterDataError extends Error {}

/** `1w2d3h4m5s`, or the older `hh:mm:ss` with an optional `Nd`; null when neither. */
export function parseUptime(text: string | undefined): number | null {
  if (text === undefined) return null;
  const m = /^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (m && text !== '') {
    return Number(m[1] ?? 0) * 604800 + Number(m[2] ?? 0) * 86400 + Number(m[3] ?? 0) * 3600 + Number(m[4] ?? 0) * 60 + Number(m[5] ?? 0);
  }
  const c = /^(?:(\d+)d\s*)?(\d+):(\d{2}):(\d{2})$/.exec(text);
  if (c) return Number(c[1] ?? 0) * 86400 + Number(c[2]) * 3600 + Number(c[3]) * 60 + Number(c[4]);
  return null;
}

const DIGITS = /^\d{1,20}$/;

function counter(value: string | undefined, what: string): bigint {
  if (value === undefined || !DIGITS.test(value)) throw new RouterDataError(`${what}: not a byte counter: ${String(value)}`);
  return BigInt(value);
}

export interface Collected {
  routerUptimeSeconds: number | null;
  rows: SessionRow[];
  kinds: Set<SessionKind>;
}

/**
 * Reads the sessions the router is told to collect. PPP counters come from the session's
 * dynamic interface (`<pppoe-LOGIN>`): tx is what the subscriber downloads (unless the config
 * says the router counts the other way round). The reads run concurrently on one connection.
 */
export async function collectSessions(
  client: PollerClient,
  router: RouterConfig,
  timeoutMs: number,
  text: RouterText = new RouterText(router.textEncoding),
): Promise<Collected> {
  const opts = (proplist: string[]): PrintOptions => ({ proplist, timeoutMs });
  const swap = router.direction === 'swapped';
  const kinds = new Set<SessionKind>();
  const [resource, active, interfaces, hotspot, queues] = await Promise.all([
    client.print('/system/resource', opts(['uptime'])),
    router.collect.ppp ? client.print('/ppp/active', opts(['.id', 'name', 'service', 'address', 'caller-id', 'uptime'])) : null,
    router.collect.ppp ? client.print('/interface', opts(['name', 'type', 'rx-byte', 'tx-byte'])) : null,
    router.collect.hotspot
      ? client.print('/ip/hotspot/active', opts(['.id', 'user', 'address', 'mac-address', 'uptime', 'bytes-in', 'bytes-out']))
      : null,
    router.collect.queues ? client.print('/queue/simple', opts(['.id', 'name', 'bytes', 'dynamic'])) : null,
  ]);
  const rows: SessionRow[] = [];

  if (active && interfaces) {
    kinds.add('ppp');
    const byName = new Map<string, Row>();
    for (const i of interfaces) if (i.name !== undefined && i.name.charCodeAt(0) === 60 /* < */) byName.set(i.name, i);
    // A login connected twice gets `<pppoe-LOGIN>` then `<pppoe-LOGIN-1>`, … in connection order,
    // which is also the order /ppp/active lists them (RouterOS naming; not confirmed by a capture).
    const seenLogins = new Map<string, number>();
    for (const a of active) {
      const login = a.name;
      const id = a['.id'];
      if (!login || !id) continue;
      const nth = seenLogins.get(login) ?? 0;
      seenLogins.set(login, nth + 1);
      const iface = byName.get(`<${a.service ?? 'pppoe'}-${login}${nth === 0 ? '' : `-${nth}`}>`);
      // No interface yet (the session is still coming up): nothing to count this time.
      if (!iface) continue;
      const tx = counter(iface['tx-byte'], `${iface.name} tx-byte`);
      const rx = counter(iface['rx-byte'], `${iface.name} rx-byte`);
      rows.push({
        kind: 'ppp',
        itemId: id,
        login: text.decode(login),
        uptimeSeconds: parseUptime(a.uptime),
        download: swap ? rx : tx,
        upload: swap ? tx : rx,
        framedIp: a.address,
        callerId: text.decode(a['caller-id']),
      });
    }
  }

  if (hotspot) {
    kinds.add('hotspot');
    for (const h of hotspot) {
      if (!h.user || !h['.id']) continue;
      // bytes-out: router to client, i.e. download (counted from the router's side).
      const out = counter(h['bytes-out'], `hotspot ${h.user} bytes-out`);
      const inn = counter(h['bytes-in'], `hotspot ${h.user} bytes-in`);
      rows.push({
        kind: 'hotspot',
        itemId: h['.id'],
        login: text.decode(h.user),
        uptimeSeconds: parseUptime(h.uptime),
        download: swap ? inn : out,
        upload: swap ? out : inn,
        framedIp: h.address,
        callerId: h['mac-address'],
      });
    }
  }

  if (queues) {
    kinds.add('queue');
    for (const q of queues) {
      // Dynamic queues shadow PPP/hotspot sessions: counting them too would count twice.
      if (q.dynamic === 'true' || q.dynamic === 'yes' || !q.name || !q['.id']) continue;
      const [up, down] = (q.bytes ?? '').split('/');
      const upload = counter(up, `queue ${q.name} bytes`);
      const download = counter(down, `queue ${q.name} bytes`);
      rows.push({ kind: 'queue', itemId: q['.id'], login: text.decode(q.name), uptimeSeconds: null, download, upload });
    }
  }

  return { routerUptimeSeconds: parseUptime(resource[0]?.uptime), rows, kinds };
}

/** PPP secrets (and hotspot users when hotspot is collected): the router's subscriber inventory. */
export async function collectInventory(
  client: PollerClient,
  router: RouterConfig,
  timeoutMs: number,
  text: RouterText = new RouterText(router.textEncoding),
): Promise<InventoryEntry[]> {
  const proplist = ['name', 'profile', 'disabled', 'comment'];
  const [secrets, users] = await Promise.all([
    client.print('/ppp/secret', { proplist, timeoutMs }),
    router.collect.hotspot ? client.print('/ip/hotspot/user', { proplist, timeoutMs }) : Promise.resolve([]),
  ]);
  const entries: InventoryEntry[] = [];
  const add = (kind: 'ppp' | 'hotspot', r: Row) => {
    const name = text.decode(r.name);
    if (!name || name.length > 253) return;
    const e: InventoryEntry = { kind, name, disabled: r.disabled === 'true' || r.disabled === 'yes' };
    // The wire format caps these lengths; an over-long comment is cut, not a reason to drop the snapshot.
    if (r.profile !== undefined) e.profile = text.decode(r.profile).slice(0, 128);
    if (r.comment) e.comment = text.decode(r.comment).slice(0, 1024);
    entries.push(e);
  };
  for (const r of secrets) add('ppp', r);
  for (const r of users) add('hotspot', r);
  return entries;
}
