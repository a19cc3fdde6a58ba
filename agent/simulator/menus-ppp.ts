import { formatBool, formatDate, formatDuration, formatId } from './format.js';
import { boolArg, optional, packets, required, sessionCounters, str, Trap, type Menu, type Row } from './menu-kit.js';
import type { RouterModel, Session } from './model.js';

const DYNAMIC_INTERFACE_BASE = 0xf00000;
const DYNAMIC_QUEUE_BASE = 0x1000000;
const STATIC_INTERFACES = [
  { id: 1, name: 'ether1', mac: '02:00:00:00:00:01' },
  { id: 2, name: 'ether2', mac: '02:00:00:00:00:02' },
];

/**
 * A secret names an existing profile, as on RouterOS; the trap follows the API7 example for a
 * value that names nothing (UNCERTAIN for this menu: not confirmed by a capture).
 */
function profileArg(m: RouterModel, attrs: Map<string, string>): string | undefined {
  const v = attrs.get('profile');
  if (v === undefined) return undefined;
  if (!m.findPppProfile(v)) throw new Trap('input does not match any value of profile', 1);
  return v;
}

/** PPP subscribers, their sessions, and the dynamic interfaces and queues those sessions create. */
export const pppMenus: Record<string, Menu> = {
  '/ppp/profile': {
    nameKey: 'name',
    fields: { name: 'string', 'rate-limit': 'string', 'local-address': 'string', 'remote-address': 'string', comment: 'string' },
    rows: (m) =>
      [...m.pppProfiles.values()].map((p) => {
        const row: Row = { '.id': formatId(p.id), name: p.name };
        optional(row, 'local-address', p.localAddress);
        optional(row, 'remote-address', p.remoteAddress);
        optional(row, 'rate-limit', p.rateLimit);
        row['only-one'] = 'default';
        row['default'] = formatBool(p.builtIn);
        optional(row, 'comment', p.comment);
        return row;
      }),
    add: (m, attrs) =>
      m.addPppProfile(required(attrs, 'name'), { rateLimit: str(attrs, 'rate-limit'), localAddress: str(attrs, 'local-address'), remoteAddress: str(attrs, 'remote-address'), comment: str(attrs, 'comment') }).id,
    set: (m, id, attrs) => {
      const p = m.pppProfiles.get(id)!;
      const name = attrs.get('name');
      if (name !== undefined && name !== p.name && m.findPppProfile(name)) throw new Trap('failure: profile with the same name already exists');
      if (name !== undefined && p.builtIn) throw new Trap('failure: cannot rename default profile'); // UNCERTAIN text
      if (name !== undefined) {
        for (const s of m.secrets.values()) if (s.profile === p.name) s.profile = name;
        p.name = name;
      }
      if (attrs.has('rate-limit')) p.rateLimit = str(attrs, 'rate-limit');
      if (attrs.has('local-address')) p.localAddress = str(attrs, 'local-address');
      if (attrs.has('remote-address')) p.remoteAddress = str(attrs, 'remote-address');
      if (attrs.has('comment')) p.comment = str(attrs, 'comment');
    },
    remove: (m, id) => {
      const p = m.pppProfiles.get(id)!;
      if (p.builtIn) throw new Trap('failure: cannot remove default profile'); // UNCERTAIN text
      if ([...m.secrets.values()].some((s) => s.profile === p.name)) throw new Trap('failure: profile is in use'); // UNCERTAIN text
      m.pppProfiles.delete(id);
    },
  },

  '/ppp/secret': {
    nameKey: 'name',
    fields: {
      name: 'string',
      password: 'string',
      service: 'string',
      profile: 'string',
      'caller-id': 'string',
      'local-address': 'string',
      'remote-address': 'string',
      routes: 'string',
      'limit-bytes-in': 'string',
      'limit-bytes-out': 'string',
      disabled: 'bool',
      comment: 'string',
    },
    rows: (m) =>
      [...m.secrets.values()].map((s) => {
        const row: Row = { '.id': formatId(s.id), name: s.name, service: s.service, 'caller-id': s.callerId, password: s.password, profile: s.profile };
        optional(row, 'local-address', s.localAddress);
        optional(row, 'remote-address', s.remoteAddress);
        row['routes'] = '';
        row['limit-bytes-in'] = '0';
        row['limit-bytes-out'] = '0';
        row['last-logged-out'] = s.lastLoggedOut ? formatDate(s.lastLoggedOut, m.isV7) : m.isV7 ? '1970-01-01 00:00:00' : 'jan/01/1970 00:00:00';
        row['disabled'] = formatBool(s.disabled);
        optional(row, 'comment', s.comment);
        return row;
      }),
    add: (m, attrs) => {
      const name = required(attrs, 'name');
      if (m.findSecret(name)) throw new Trap('failure: secret with the same name already exists'); // UNCERTAIN text
      return m.addSecret(name, {
        password: str(attrs, 'password'),
        service: str(attrs, 'service', 'any'),
        profile: profileArg(m, attrs) ?? 'default',
        callerId: str(attrs, 'caller-id'),
        localAddress: str(attrs, 'local-address'),
        remoteAddress: str(attrs, 'remote-address'),
        disabled: boolArg(attrs, 'disabled') ?? false,
        comment: str(attrs, 'comment'),
      }).id;
    },
    set: (m, id, attrs) => {
      const s = m.secrets.get(id)!;
      const disabled = boolArg(attrs, 'disabled');
      const name = attrs.get('name');
      if (name !== undefined && name !== s.name && m.findSecret(name)) throw new Trap('failure: secret with the same name already exists');
      if (name !== undefined) m.renameSecret(s, name);
      if (attrs.has('password')) s.password = str(attrs, 'password');
      if (attrs.has('service')) s.service = str(attrs, 'service');
      const profile = profileArg(m, attrs);
      if (profile !== undefined) s.profile = profile;
      if (attrs.has('caller-id')) s.callerId = str(attrs, 'caller-id');
      if (attrs.has('local-address')) s.localAddress = str(attrs, 'local-address');
      if (attrs.has('remote-address')) s.remoteAddress = str(attrs, 'remote-address');
      if (attrs.has('comment')) s.comment = str(attrs, 'comment');
      // Disabling a secret stops new logins; it does not drop the session that is up (RouterOS).
      if (disabled !== undefined) s.disabled = disabled;
    },
    remove: (m, id) => m.removeSecret(id),
  },

  '/ppp/active': {
    rows: (m) => {
      const now = m.nowMs();
      const out: Row[] = [];
      for (const s of m.sessions.values()) {
        if (s.kind !== 'ppp') continue;
        out.push({
          '.id': formatId(s.id),
          name: s.login,
          service: s.service,
          'caller-id': s.callerId,
          address: s.address,
          uptime: formatDuration((now - s.startMs) / 1000),
          encoding: '',
          'session-id': s.sessionId,
          'limit-bytes-in': '0',
          'limit-bytes-out': '0',
          radius: 'false', // UNCERTAIN on /ppp/active (reference §7)
        });
      }
      return out;
    },
    // Removing an active session disconnects the subscriber; its interface and queue go with it
    // (standard RouterOS behaviour, not confirmed by a capture: reference §9).
    remove: (m, id) => m.endSession(m.sessions.get(id)!),
  },

  '/interface': {
    nameKey: 'name',
    rows: (m) => {
      const out: Row[] = STATIC_INTERFACES.map((e) => ({
        '.id': formatId(e.id),
        name: e.name,
        type: 'ether',
        mtu: '1500',
        'actual-mtu': '1500',
        'mac-address': e.mac,
        'link-downs': '0',
        'rx-byte': '0',
        'tx-byte': '0',
        'rx-packet': '0',
        'tx-packet': '0',
        running: 'true',
        disabled: 'false',
      }));
      const linkUp = (s: Session) => formatDate(new Date(s.startMs), m.isV7);
      for (const s of m.sessions.values()) {
        if (s.kind !== 'ppp') continue;
        const { down, up } = sessionCounters(m, s);
        // Counted from the router's side: tx is what the subscriber downloads (reference §8).
        out.push({
          '.id': formatId(DYNAMIC_INTERFACE_BASE + s.interfaceId),
          name: s.interfaceName,
          type: `${s.service}-in`,
          mtu: '1480',
          'actual-mtu': '1480',
          'last-link-up-time': linkUp(s),
          'link-downs': '0',
          'rx-byte': String(up),
          'tx-byte': String(down),
          'rx-packet': packets(up),
          'tx-packet': packets(down),
          'rx-drop': '0',
          'tx-drop': '0',
          'tx-queue-drop': '0',
          'rx-error': '0',
          'tx-error': '0',
          'fp-rx-byte': String(up),
          'fp-tx-byte': String(down),
          'fp-rx-packet': packets(up),
          'fp-tx-packet': packets(down),
          running: 'true',
          disabled: 'false',
          dynamic: 'true', // reference §7: standard but UNCERTAIN
        });
      }
      return out;
    },
  },

  '/queue/simple': {
    nameKey: 'name',
    fields: { name: 'string', target: 'string', 'max-limit': 'string', disabled: 'bool', comment: 'string' },
    rows: (m) => {
      const now = m.nowMs();
      const out: Row[] = [];
      const row = (id: number, name: string, target: string, maxLimit: string, up: bigint, down: bigint, dynamic: boolean, disabled: boolean, comment: string): Row => {
        const r: Row = {
          '.id': formatId(id),
          name,
          target,
          parent: 'none',
          'packet-marks': '',
          priority: '8/8',
          queue: 'default-small/default-small',
          'limit-at': '0/0',
          'max-limit': maxLimit,
          'burst-limit': '0/0',
          'burst-threshold': '0/0',
          'burst-time': '0s/0s',
          'bucket-size': '0.1/0.1',
          // Paired values are upload/download (mktxp splits them as _up then _down, reference §7).
          bytes: `${up}/${down}`,
          'total-bytes': '0',
          packets: `${packets(up)}/${packets(down)}`,
          'total-packets': '0',
          dropped: '0/0',
          rate: '0/0',
          'packet-rate': '0/0',
          'queued-packets': '0/0',
          'queued-bytes': '0/0',
          invalid: 'false',
          dynamic: formatBool(dynamic),
          disabled: formatBool(disabled),
        };
        optional(r, 'comment', comment);
        return r;
      };
      for (const q of m.queues.values()) {
        out.push(row(q.id, q.name, q.target, q.maxLimit, q.upload.value(now), q.download.value(now), false, q.disabled, q.comment));
      }
      for (const s of m.sessions.values()) {
        if (s.kind !== 'ppp') continue;
        const name = s.interfaceName;
        out.push(row(DYNAMIC_QUEUE_BASE + s.queueId, name, name, '0/0', s.upload.value(now), s.download.value(now), true, false, ''));
      }
      return out;
    },
    add: (m, attrs) => {
      const name = required(attrs, 'name');
      const q = m.addQueue(name, required(attrs, 'target'), {}, str(attrs, 'max-limit', '0/0'));
      q.disabled = boolArg(attrs, 'disabled') ?? false;
      q.comment = str(attrs, 'comment');
      return q.id;
    },
    set: (m, id, attrs) => {
      const q = m.queues.get(id);
      if (!q) throw new Trap('failure: cannot change dynamic queue'); // UNCERTAIN text
      const disabled = boolArg(attrs, 'disabled');
      if (attrs.has('name')) q.name = str(attrs, 'name');
      if (attrs.has('target')) q.target = str(attrs, 'target');
      if (attrs.has('max-limit')) q.maxLimit = str(attrs, 'max-limit');
      if (attrs.has('comment')) q.comment = str(attrs, 'comment');
      if (disabled !== undefined) q.disabled = disabled;
    },
    remove: (m, id) => {
      if (!m.queues.delete(id)) throw new Trap('failure: cannot remove dynamic queue'); // UNCERTAIN text
    },
  },
};
