import type { EnforcementItem } from '../../plugin/common/wire.js';

/**
 * What a RouterOS router must change to match the desired state: a pure comparison of what the
 * router has (RouterView, read from it) with what the plugin wants. Reconciliation and single
 * changes both go through here, so a change heard on the stream and a repair of drift are the
 * same code.
 */

export const COMMENT_PREFIX = 'octet:';
export const QUEUE_PREFIX = 'octet-';
/**
 * While Octet holds a PPP secret on the throttled profile, the secret's comment starts with this,
 * the profile it had and `;`: the way back lives on the router itself, so a restore (or a
 * reconciliation after the agent lost its state) returns the subscriber to their own profile.
 */
export const PROFILE_MARK = 'octet-was-profile=';

/** The profile a secret had before Octet throttled it, and the rest of its comment; null if not ours. */
export function profileMark(comment: string | undefined): { profile: string; rest: string } | null {
  const m = /^octet-was-profile=([^;]+);([\s\S]*)$/.exec(comment ?? '');
  return m ? { profile: m[1]!, rest: m[2]! } : null;
}

export function markProfile(profile: string, comment: string): string {
  return `${PROFILE_MARK}${profile};${comment}`;
}

export function commentFor(serviceId: number): string {
  return `${COMMENT_PREFIX}${serviceId}`;
}

/** The service id in an Octet comment or queue name, or null for anything else (left alone). */
export function serviceIdOf(text: string, prefix: string): number | null {
  if (!text.startsWith(prefix)) return null;
  const rest = text.slice(prefix.length);
  return /^[1-9][0-9]{0,15}$/.test(rest) ? Number(rest) : null;
}

export interface RouterView {
  /** Entries of our address list that carry an Octet comment. */
  addressList: Array<{ id: string; address: string; serviceId: number }>;
  /** The subscriber's current address per login (active session first, else a static remote-address). */
  addresses: Map<string, string>;
  /** PPP secrets by name; profile and comment are read when throttling by profile. */
  secrets: Map<string, { id: string; disabled: boolean; profile?: string; comment?: string }>;
  pppActive: Map<string, string[]>;
  hotspotUsers: Map<string, { id: string; disabled: boolean }>;
  hotspotActive: Map<string, string[]>;
  /** Simple queues named octet-<serviceId>. */
  queues: Array<{ id: string; serviceId: number; target: string; maxLimit: string }>;
}

export interface PlanSettings {
  suspend: 'address-list' | 'ppp' | 'hotspot' | 'none';
  throttle: 'queue' | 'profile' | 'none';
  list: string;
  /** With throttle: profile, the /ppp/profile a throttled secret is moved to. */
  throttleProfile?: string;
}

export type Action =
  | { kind: 'address-add'; serviceId: number; list: string; address: string; comment: string }
  | { kind: 'address-set'; serviceId: number; id: string; address: string }
  | { kind: 'address-remove'; serviceId: number; id: string }
  | { kind: 'secret-set'; serviceId: number; id: string; disabled: boolean }
  | { kind: 'secret-profile-set'; serviceId: number; id: string; profile: string; comment: string }
  | { kind: 'ppp-kick'; serviceId: number; id: string }
  | { kind: 'hotspot-user-set'; serviceId: number; id: string; disabled: boolean }
  | { kind: 'hotspot-kick'; serviceId: number; id: string }
  | { kind: 'queue-add'; serviceId: number; name: string; target: string; maxLimit: string; comment: string }
  | { kind: 'queue-set'; serviceId: number; id: string; target: string; maxLimit: string }
  | { kind: 'queue-remove'; serviceId: number; id: string };

export interface Plan {
  actions: Action[];
  /** Services that cannot be brought to their desired state, and why (no changes planned for them). */
  problems: Map<number, string>;
}

function bare(target: string): string {
  return target.replace(/\/32$/, '');
}

export function planRouter(items: readonly EnforcementItem[], view: RouterView, s: PlanSettings, scope: 'full' | 'items'): Plan {
  const actions: Action[] = [];
  const problems = new Map<number, string>();
  const wanted = new Map(items.map((i) => [i.serviceId, i]));
  const entries = new Map<number, Array<{ id: string; address: string }>>();
  for (const e of view.addressList) entries.set(e.serviceId, [...(entries.get(e.serviceId) ?? []), e]);
  const queues = new Map<number, Array<{ id: string; target: string; maxLimit: string }>>();
  for (const q of view.queues) queues.set(q.serviceId, [...(queues.get(q.serviceId) ?? []), q]);

  for (const item of items) {
    const id = item.serviceId;
    const suspended = item.desired === 'suspended';
    const address = view.addresses.get(item.login);

    if (s.suspend === 'address-list') {
      const mine = entries.get(id) ?? [];
      if (suspended) {
        if (!address) {
          // Offline and no static address: nothing to block now; the next reconciliation (or
          // the next change) adds the entry once the subscriber has an address.
          if (mine.length === 0) problems.set(id, `no address known for ${item.login} on the router (not connected, no remote-address)`);
        } else if (mine.length === 0) {
          actions.push({ kind: 'address-add', serviceId: id, list: s.list, address, comment: commentFor(id) });
        } else if (mine[0]!.address !== address) {
          actions.push({ kind: 'address-set', serviceId: id, id: mine[0]!.id, address });
        }
        for (const extra of mine.slice(1)) actions.push({ kind: 'address-remove', serviceId: id, id: extra.id });
      } else {
        for (const e of mine) actions.push({ kind: 'address-remove', serviceId: id, id: e.id });
      }
    } else if (s.suspend === 'ppp' || s.suspend === 'hotspot') {
      const account = (s.suspend === 'ppp' ? view.secrets : view.hotspotUsers).get(item.login);
      const active = (s.suspend === 'ppp' ? view.pppActive : view.hotspotActive).get(item.login) ?? [];
      const setKind = s.suspend === 'ppp' ? 'secret-set' : 'hotspot-user-set';
      const kickKind = s.suspend === 'ppp' ? 'ppp-kick' : 'hotspot-kick';
      if (!account) {
        problems.set(id, `no ${s.suspend === 'ppp' ? 'PPP secret' : 'hotspot user'} named ${item.login} on the router`);
      } else if (suspended) {
        if (!account.disabled) actions.push({ kind: setKind, serviceId: id, id: account.id, disabled: true });
        // Disabling stops new logins only; the session that is up must be removed as well.
        for (const a of active) actions.push({ kind: kickKind, serviceId: id, id: a });
      } else if (account.disabled) {
        actions.push({ kind: setKind, serviceId: id, id: account.id, disabled: false });
      }
    }

    if (s.throttle === 'queue') {
      const mine = queues.get(id) ?? [];
      if (item.desired === 'throttled' && item.rate) {
        if (!address) {
          if (mine.length === 0) problems.set(id, `no address known for ${item.login} on the router (not connected, no remote-address)`);
        } else if (mine.length === 0) {
          actions.push({ kind: 'queue-add', serviceId: id, name: `${QUEUE_PREFIX}${id}`, target: `${address}/32`, maxLimit: item.rate, comment: commentFor(id) });
        } else if (bare(mine[0]!.target) !== address || mine[0]!.maxLimit !== item.rate) {
          actions.push({ kind: 'queue-set', serviceId: id, id: mine[0]!.id, target: `${address}/32`, maxLimit: item.rate });
        }
        for (const extra of mine.slice(1)) actions.push({ kind: 'queue-remove', serviceId: id, id: extra.id });
      } else {
        if (item.desired === 'throttled') problems.set(id, 'throttled without a rate');
        for (const q of mine) actions.push({ kind: 'queue-remove', serviceId: id, id: q.id });
      }
    }
  }

  if (s.throttle === 'profile') planProfiles(items, view, s.throttleProfile ?? '', scope, actions, problems);

  if (scope === 'full') {
    // Octet's entries for services no longer in the desired state (deleted, moved to another
    // router) are ours to remove; anything without our comment is left alone.
    for (const [id, mine] of entries) if (!wanted.has(id)) for (const e of mine) actions.push({ kind: 'address-remove', serviceId: id, id: e.id });
    for (const [id, mine] of queues) if (!wanted.has(id)) for (const q of mine) actions.push({ kind: 'queue-remove', serviceId: id, id: q.id });
  }
  return { actions, problems };
}

/**
 * Fair-use throttling by PPP profile: a throttled service's secret moves to the throttled profile
 * (its old profile kept in the comment) and its session is removed, because RouterOS applies a
 * profile at login; any other state moves a secret Octet throttled back, and an active one is
 * logged in again so the normal rate applies. A secret on that profile without Octet's mark was
 * put there by staff and is left alone.
 */
function planProfiles(items: readonly EnforcementItem[], view: RouterView, throttled: string, scope: 'full' | 'items', actions: Action[], problems: Map<number, string>): void {
  const kick = (serviceId: number, login: string) => {
    for (const a of view.pppActive.get(login) ?? []) actions.push({ kind: 'ppp-kick', serviceId, id: a });
  };
  const logins = new Set<string>();
  for (const item of items) {
    const id = item.serviceId;
    logins.add(item.login);
    const secret = view.secrets.get(item.login);
    const mark = profileMark(secret?.comment);
    if (item.desired === 'throttled') {
      if (!secret) {
        problems.set(id, `no PPP secret named ${item.login} on the router`);
      } else if (secret.profile !== throttled) {
        // A mark already there (staff changed the profile meanwhile) keeps the original way back.
        const comment = mark ? markProfile(mark.profile, mark.rest) : markProfile(secret.profile ?? 'default', secret.comment ?? '');
        actions.push({ kind: 'secret-profile-set', serviceId: id, id: secret.id, profile: throttled, comment });
        kick(id, item.login);
      }
    } else if (secret && mark) {
      actions.push({ kind: 'secret-profile-set', serviceId: id, id: secret.id, profile: mark.profile, comment: mark.rest });
      // A suspended subscriber's session is the suspension method's business.
      if (item.desired === 'active' && secret.profile === throttled) kick(id, item.login);
    }
  }
  if (scope !== 'full') return;
  // Secrets Octet throttled for services no longer in the desired state go back too.
  for (const [login, secret] of view.secrets) {
    const mark = profileMark(secret.comment);
    if (logins.has(login) || !mark) continue;
    actions.push({ kind: 'secret-profile-set', serviceId: 0, id: secret.id, profile: mark.profile, comment: mark.rest });
  }
}
