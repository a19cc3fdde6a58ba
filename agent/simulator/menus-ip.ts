import { formatBool, formatDate, formatDuration, formatId } from './format.js';
import { boolArg, durationArg, optional, packets, required, sessionCounters, str, Trap, type Menu, type Row } from './menu-kit.js';

/** Hotspot users and sessions, and firewall address lists (what enforcement writes). */
export const ipMenus: Record<string, Menu> = {
  '/ip/hotspot/active': {
    rows: (m) => {
      const now = m.nowMs();
      const out: Row[] = [];
      for (const s of m.sessions.values()) {
        if (s.kind !== 'hotspot') continue;
        const { down, up } = sessionCounters(m, s);
        // bytes-in is what the router received from the client (upload); bytes-out is download.
        out.push({
          '.id': formatId(s.id),
          server: 'hotspot1',
          user: s.login,
          address: s.address,
          'mac-address': s.callerId,
          'login-by': 'http-chap',
          uptime: formatDuration((now - s.startMs) / 1000),
          'idle-time': '0s',
          'keepalive-timeout': '2m',
          'bytes-in': String(up),
          'bytes-out': String(down),
          'packets-in': packets(up),
          'packets-out': packets(down),
          radius: 'false',
        });
      }
      return out;
    },
    remove: (m, id) => m.endSession(m.sessions.get(id)!),
  },

  '/ip/hotspot/user': {
    nameKey: 'name',
    fields: {
      name: 'string',
      password: 'string',
      profile: 'string',
      server: 'string',
      'mac-address': 'string',
      'limit-uptime': 'duration',
      'limit-bytes-total': 'string',
      disabled: 'bool',
      comment: 'string',
    },
    rows: (m) =>
      [...m.hotspotUsers.values()].map((u) => {
        const row: Row = { '.id': formatId(u.id), server: u.server, name: u.name, password: u.password, profile: u.profile };
        optional(row, 'mac-address', u.macAddress);
        Object.assign(row, { uptime: '0s', 'bytes-in': '0', 'bytes-out': '0', 'packets-in': '0', 'packets-out': '0', dynamic: 'false', disabled: formatBool(u.disabled) });
        optional(row, 'comment', u.comment);
        return row;
      }),
    add: (m, attrs) => {
      const name = required(attrs, 'name');
      if (m.findHotspotUser(name)) throw new Trap('failure: already have user with this name for this server'); // UNCERTAIN text
      return m.addHotspotUser(name, {
        password: str(attrs, 'password'),
        profile: str(attrs, 'profile', 'default'),
        server: str(attrs, 'server', 'all'),
        macAddress: str(attrs, 'mac-address'),
        disabled: boolArg(attrs, 'disabled') ?? false,
        comment: str(attrs, 'comment'),
      }).id;
    },
    set: (m, id, attrs) => {
      const u = m.hotspotUsers.get(id)!;
      const disabled = boolArg(attrs, 'disabled');
      const name = attrs.get('name');
      if (name !== undefined && name !== u.name && m.findHotspotUser(name)) throw new Trap('failure: already have user with this name for this server');
      if (name !== undefined) m.renameHotspotUser(u, name);
      if (attrs.has('password')) u.password = str(attrs, 'password');
      if (attrs.has('profile')) u.profile = str(attrs, 'profile');
      if (attrs.has('server')) u.server = str(attrs, 'server');
      if (attrs.has('mac-address')) u.macAddress = str(attrs, 'mac-address');
      if (attrs.has('comment')) u.comment = str(attrs, 'comment');
      if (disabled !== undefined) u.disabled = disabled;
    },
    remove: (m, id) => m.removeHotspotUser(id),
  },

  '/ip/firewall/address-list': {
    fields: { list: 'string', address: 'string', timeout: 'duration', disabled: 'bool', comment: 'string' },
    rows: (m) => {
      m.expireAddressList();
      const now = m.nowMs();
      return [...m.addressList.values()].map((e) => {
        const row: Row = { '.id': formatId(e.id), list: e.list, address: e.address, 'creation-time': formatDate(new Date(e.createdMs), m.isV7) };
        if (e.timeoutSeconds !== null) row['timeout'] = formatDuration(e.timeoutSeconds - (now - e.createdMs) / 1000);
        row['dynamic'] = formatBool(e.timeoutSeconds !== null);
        row['disabled'] = formatBool(e.disabled);
        optional(row, 'comment', e.comment);
        return row;
      });
    },
    add: (m, attrs) => {
      const list = required(attrs, 'list');
      const address = required(attrs, 'address');
      const timeout = durationArg(attrs, 'timeout');
      const disabled = boolArg(attrs, 'disabled') ?? false;
      return m.addAddressListEntry(list, address, { timeoutSeconds: timeout ?? null, disabled, comment: str(attrs, 'comment') }).id;
    },
    set: (m, id, attrs) => {
      const e = m.addressList.get(id)!;
      const disabled = boolArg(attrs, 'disabled');
      const timeout = durationArg(attrs, 'timeout');
      if (attrs.has('list')) e.list = str(attrs, 'list');
      if (attrs.has('address')) e.address = str(attrs, 'address');
      if (attrs.has('comment')) e.comment = str(attrs, 'comment');
      if (timeout !== undefined) {
        e.timeoutSeconds = timeout;
        e.createdMs = m.nowMs();
      }
      if (disabled !== undefined) e.disabled = disabled;
    },
    remove: (m, id) => void m.addressList.delete(id),
  },
};
