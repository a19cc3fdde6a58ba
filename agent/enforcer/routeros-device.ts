import type { Logger } from '../../plugin/common/logger.js';
import { errorMessage } from '../../plugin/common/errors.js';
import type { EnforcementItem } from '../../plugin/common/wire.js';
import type { RouterConfig } from '../poller/config.js';
import { RouterOsConnectionError, RouterOsTimeoutError, RouterOsTrapError, type RouterOsClient, type Row } from '../routeros/index.js';
import { RouterText } from '../routeros/text.js';
import { commentFor, COMMENT_PREFIX, planRouter, QUEUE_PREFIX, serviceIdOf, type Action, type PlanSettings, type RouterView } from './plan.js';
import { DeviceUnreachableError, type DeviceResult, type EnforcementDevice } from './types.js';

export interface RouterDeviceOptions {
  router: RouterConfig;
  settings: PlanSettings;
  connect: (r: RouterConfig) => Promise<RouterOsClient>;
  logger: Logger;
  /** Commands in flight at once on the connection (tagged; RouterOS runs them in turn). */
  concurrency?: number;
}

/**
 * Enforcement on a RouterOS router through its API: read what the router has (only the menus the
 * configured methods touch), plan (plan.ts), carry out the plan. One connection, kept open and
 * replaced when it breaks.
 */
export class RouterOsDevice implements EnforcementDevice {
  readonly name: string;
  readonly observable = true;
  onDrop?: () => void;
  private client: RouterOsClient | null = null;
  private readonly text: RouterText;

  constructor(private readonly o: RouterDeviceOptions) {
    this.name = o.router.name;
    this.text = new RouterText(o.router.textEncoding);
  }

  async enforce(items: readonly EnforcementItem[], scope: 'full' | 'items'): Promise<DeviceResult> {
    const client = await this.connection();
    try {
      const view = await this.read(client, items, scope);
      const plan = planRouter(items, view, this.o.settings, scope);
      if (plan.actions.length > 0) this.o.logger.debug('enforcer: plan', { router: this.name, scope, actions: plan.actions.slice(0, 20) });
      const outcomes = new Map<number, string | null>(items.map((i) => [i.serviceId, plan.problems.get(i.serviceId) ?? null]));
      const changed = new Set<number>();
      await runLimited(plan.actions, this.o.concurrency ?? 32, async (a) => {
        try {
          await this.execute(client, a);
          changed.add(a.serviceId);
        } catch (err) {
          if (isConnectionTrouble(err)) throw err;
          if (outcomes.has(a.serviceId)) outcomes.set(a.serviceId, `${a.kind}: ${errorMessage(err)}`);
          this.o.logger.warn('enforcer: router refused a change', { router: this.name, serviceId: a.serviceId, action: a.kind, error: errorMessage(err) });
        }
      });
      return { outcomes, changes: plan.actions.length, changed };
    } catch (err) {
      if (isConnectionTrouble(err)) {
        await this.close();
        throw new DeviceUnreachableError(`${this.name}: ${errorMessage(err)}`, { cause: err });
      }
      throw err;
    }
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (c && !c.closed) await c.close().catch(() => undefined);
  }

  private async connection(): Promise<RouterOsClient> {
    if (this.client && !this.client.closed) return this.client;
    let client: RouterOsClient;
    try {
      client = await this.o.connect(this.o.router);
    } catch (err) {
      throw new DeviceUnreachableError(`${this.name}: ${errorMessage(err)}`, { cause: err });
    }
    this.client = client;
    client.onClose(() => {
      if (this.client !== client) return;
      this.client = null;
      this.o.logger.info('enforcer: router connection dropped', { router: this.name });
      this.onDrop?.();
    });
    return client;
  }

  /** RouterOS's text bytes for a login (or our comment); a login the router cannot hold matches nothing. */
  private enc(s: string): string {
    return this.text.encode(s) ?? s;
  }

  private dec(s: string | undefined): string {
    return this.text.decode(s) ?? '';
  }

  private async read(client: RouterOsClient, items: readonly EnforcementItem[], scope: 'full' | 'items'): Promise<RouterView> {
    const s = this.o.settings;
    // Many changes at once (a snapshot after a restart, a dunning run): one print per menu beats
    // a query per login. The plan still touches only the services given.
    const full = scope === 'full' || items.length > 50;
    const logins = [...new Set(items.map((i) => i.login))];
    // One print for the whole router when reconciling; per login (a query) for single changes.
    const perLogin = async (menu: string, key: string, proplist: string[]): Promise<Row[]> => {
      if (full) return client.print(menu, { proplist });
      const rows = await Promise.all(logins.map((l) => client.print(menu, { proplist, query: [`${key}=${this.enc(l)}`] })));
      return rows.flat();
    };
    const needAddress = s.suspend === 'address-list' || s.throttle === 'queue';
    const needPpp = needAddress || s.suspend === 'ppp' || s.throttle === 'profile';
    const needHotspot = needAddress || s.suspend === 'hotspot';
    const [entries, pppActive, secrets, hsActive, hsUsers, queues] = await Promise.all([
      s.suspend === 'address-list'
        ? full
          ? client.print('/ip/firewall/address-list', { proplist: ['.id', 'address', 'comment'], query: [`list=${this.enc(s.list)}`] })
          : Promise.all(items.map((i) => client.print('/ip/firewall/address-list', { proplist: ['.id', 'address', 'comment'], query: [`list=${this.enc(s.list)}`, `comment=${commentFor(i.serviceId)}`] }))).then((r) => r.flat())
        : [],
      needPpp ? perLogin('/ppp/active', 'name', ['.id', 'name', 'address']) : [],
      needPpp ? perLogin('/ppp/secret', 'name', ['.id', 'name', 'disabled', 'remote-address', ...(s.throttle === 'profile' ? ['profile', 'comment'] : [])]) : [],
      needHotspot ? perLogin('/ip/hotspot/active', 'user', ['.id', 'user', 'address']) : [],
      needHotspot && s.suspend === 'hotspot' ? perLogin('/ip/hotspot/user', 'name', ['.id', 'name', 'disabled']) : [],
      s.throttle === 'queue'
        ? full
          ? client.print('/queue/simple', { proplist: ['.id', 'name', 'target', 'max-limit'] })
          : Promise.all(items.map((i) => client.print('/queue/simple', { proplist: ['.id', 'name', 'target', 'max-limit'], query: [`name=${QUEUE_PREFIX}${i.serviceId}`] }))).then((r) => r.flat())
        : [],
    ]);
    const view: RouterView = { addressList: [], addresses: new Map(), secrets: new Map(), pppActive: new Map(), hotspotUsers: new Map(), hotspotActive: new Map(), queues: [] };
    for (const e of entries) {
      const id = serviceIdOf(e['comment'] ?? '', COMMENT_PREFIX);
      if (id !== null && e['.id']) view.addressList.push({ id: e['.id'], address: e['address'] ?? '', serviceId: id });
    }
    for (const q of queues) {
      const id = serviceIdOf(q['name'] ?? '', QUEUE_PREFIX);
      if (id !== null && q['.id']) view.queues.push({ id: q['.id'], serviceId: id, target: q['target'] ?? '', maxLimit: q['max-limit'] ?? '' });
    }
    const bool = (v: string | undefined) => v === 'true' || v === 'yes';
    for (const r of secrets) {
      const name = this.dec(r['name']);
      view.secrets.set(name, { id: r['.id']!, disabled: bool(r['disabled']), ...(s.throttle === 'profile' ? { profile: r['profile'] ?? 'default', comment: this.dec(r['comment']) } : {}) });
      const ip = r['remote-address'];
      if (ip && !view.addresses.has(name)) view.addresses.set(name, ip);
    }
    for (const r of hsUsers) view.hotspotUsers.set(this.dec(r['name']), { id: r['.id']!, disabled: bool(r['disabled']) });
    // An active session's address beats a static one: it is what the subscriber uses now.
    for (const [rows, key, into] of [[pppActive, 'name', view.pppActive], [hsActive, 'user', view.hotspotActive]] as const) {
      for (const r of rows) {
        const name = this.dec(r[key]);
        into.set(name, [...(into.get(name) ?? []), r['.id']!]);
        if (r['address']) view.addresses.set(name, r['address']);
      }
    }
    return view;
  }

  private async execute(client: RouterOsClient, a: Action): Promise<void> {
    switch (a.kind) {
      case 'address-add':
        try {
          await client.command('/ip/firewall/address-list/add', { list: this.enc(a.list), address: a.address, comment: a.comment });
        } catch (err) {
          // Idempotent: the entry being there already is the state we want.
          if (err instanceof RouterOsTrapError && /already have such entry/.test(err.routerMessage)) return;
          throw err;
        }
        return;
      case 'address-set':
        await client.command('/ip/firewall/address-list/set', { '.id': a.id, address: a.address });
        return;
      case 'address-remove':
        return ignoreGone(client.command('/ip/firewall/address-list/remove', { '.id': a.id }));
      case 'secret-set':
        await client.command('/ppp/secret/set', { '.id': a.id, disabled: a.disabled });
        return;
      case 'secret-profile-set':
        await client.command('/ppp/secret/set', { '.id': a.id, profile: this.enc(a.profile), comment: this.enc(a.comment) });
        return;
      case 'ppp-kick':
        return ignoreGone(client.command('/ppp/active/remove', { '.id': a.id }));
      case 'hotspot-user-set':
        await client.command('/ip/hotspot/user/set', { '.id': a.id, disabled: a.disabled });
        return;
      case 'hotspot-kick':
        return ignoreGone(client.command('/ip/hotspot/active/remove', { '.id': a.id }));
      case 'queue-add':
        await client.command('/queue/simple/add', { name: a.name, target: a.target, 'max-limit': a.maxLimit, comment: a.comment });
        return;
      case 'queue-set':
        await client.command('/queue/simple/set', { '.id': a.id, target: a.target, 'max-limit': a.maxLimit });
        return;
      case 'queue-remove':
        return ignoreGone(client.command('/queue/simple/remove', { '.id': a.id }));
    }
  }
}

/** A removal of something already gone (a session that just ended) reached the desired state. */
async function ignoreGone(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (err instanceof RouterOsTrapError && /no such item/.test(err.routerMessage)) return;
    throw err;
  }
}

function isConnectionTrouble(err: unknown): boolean {
  return err instanceof RouterOsConnectionError || err instanceof RouterOsTimeoutError;
}

/** Runs `fn` over `list` with at most `limit` at a time; the first connection failure stops the rest. */
async function runLimited<T>(list: readonly T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown = null;
  const worker = async () => {
    while (failed === null && next < list.length) {
      const t = list[next++]!;
      try {
        await fn(t);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, list.length) }, worker));
  if (failed !== null) throw failed;
}
