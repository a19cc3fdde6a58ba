import type { Clock } from '../../plugin/common/clock.js';

/**
 * The simulated router's state and traffic model. Time comes from the injected clock, so a test
 * with a ManualClock decides exactly how many bytes each session has moved. Counters are computed
 * on read (base + rate × elapsed), so 20,000 sessions cost nothing between polls.
 */

/** A cumulative byte counter growing at `rate` bytes per second since `since`. */
export class ByteCounter {
  constructor(
    private base: bigint,
    private rate: number,
    private since: number,
  ) {}
  value(nowMs: number): bigint {
    return this.base + BigInt(Math.floor((this.rate * Math.max(0, nowMs - this.since)) / 1000));
  }
  setRate(rate: number, nowMs: number): void {
    this.base = this.value(nowMs);
    this.rate = rate;
    this.since = nowMs;
  }
  add(bytes: bigint): void {
    this.base += bytes;
  }
  /** Back to zero, same rate (a reboot resets a queue's counters, not its traffic). */
  reset(nowMs: number): void {
    this.base = 0n;
    this.since = nowMs;
  }
}

export interface Rates {
  /** Bytes per second the subscriber receives. */
  downloadBps: number;
  /** Bytes per second the subscriber sends. */
  uploadBps: number;
}

export interface Secret {
  id: number;
  name: string;
  password: string;
  service: string;
  profile: string;
  callerId: string;
  remoteAddress: string;
  localAddress: string;
  disabled: boolean;
  comment: string;
  lastLoggedOut: Date | null;
}

/** A /ppp/profile: what a PPP login gets (its rate-limit above all), applied when the session comes up. */
export interface PppProfile {
  id: number;
  name: string;
  /** RouterOS's rx/tx text, e.g. `2M/2M`; empty for none. */
  rateLimit: string;
  localAddress: string;
  remoteAddress: string;
  comment: string;
  /** `default` and `default-encryption` come with every router and cannot be removed. */
  builtIn: boolean;
}

export interface HotspotUser {
  id: number;
  name: string;
  password: string;
  profile: string;
  server: string;
  macAddress: string;
  disabled: boolean;
  comment: string;
}

export interface Session {
  kind: 'ppp' | 'hotspot';
  /** `.id` in /ppp/active or /ip/hotspot/active. */
  id: number;
  /** Dynamic interface and queue ids (ppp only). */
  interfaceId: number;
  queueId: number;
  login: string;
  service: string;
  /** `<pppoe-LOGIN>`; a second session of the same login gets `<pppoe-LOGIN-1>`, and so on. */
  interfaceName: string;
  callerId: string;
  address: string;
  sessionId: string;
  /** The secret's (or hotspot user's) profile when the session came up: a later change applies at the next login. */
  profile: string;
  startMs: number;
  download: ByteCounter;
  upload: ByteCounter;
}

export interface StaticQueue {
  id: number;
  name: string;
  target: string;
  maxLimit: string;
  disabled: boolean;
  comment: string;
  download: ByteCounter;
  upload: ByteCounter;
}

export interface AddressListEntry {
  id: number;
  list: string;
  address: string;
  /** Seconds; an entry with a timeout is dynamic (RAM only, gone after reboot or expiry). */
  timeoutSeconds: number | null;
  disabled: boolean;
  comment: string;
  createdMs: number;
}

export interface ModelOptions {
  clock: Clock;
  version: string;
  identity: string;
  boardName: string;
  users: Array<{ name: string; password: string }>;
  /** Rates for subscribers connected without explicit ones. */
  defaultRates: Rates;
}

export class SimulatorError extends Error {}

export class RouterModel {
  readonly clock: Clock;
  identity: string;
  readonly version: string;
  readonly boardName: string;
  readonly users: Array<{ name: string; password: string }>;
  defaultRates: Rates;
  bootMs: number;
  /** Item ids are allocated per menu; dynamic ones restart after a reboot (UNCERTAIN on RouterOS). */
  private ids = new Map<string, number>();
  readonly secrets = new Map<number, Secret>();
  readonly hotspotUsers = new Map<number, HotspotUser>();
  /** Name indexes, so that 20,000 subscribers are set up in linear time. */
  private readonly secretByName = new Map<string, Secret>();
  private readonly hotspotUserByName = new Map<string, HotspotUser>();
  /** Active sessions in connection order (Map keeps insertion order, as print does). */
  readonly sessions = new Map<number, Session>();
  readonly queues = new Map<number, StaticQueue>();
  readonly addressList = new Map<number, AddressListEntry>();
  readonly pppProfiles = new Map<number, PppProfile>();
  /** Final counters of every session that ended, per login: the truth tests compare against. */
  private readonly ended = new Map<string, { download: bigint; upload: bigint; sessions: number }>();
  private sessionSeq = 0;
  private readonly sessionsByLogin = new Map<string, Set<Session>>();

  constructor(options: ModelOptions) {
    this.clock = options.clock;
    this.version = options.version;
    this.identity = options.identity;
    this.boardName = options.boardName;
    this.users = options.users;
    this.defaultRates = options.defaultRates;
    this.bootMs = this.nowMs();
    // RouterOS's two built-in profiles, with their ids (*0 and *FFFFFFFE).
    for (const [id, name] of [[0, 'default'], [0xfffffffe, 'default-encryption']] as const) {
      this.pppProfiles.set(id, { id, name, rateLimit: '', localAddress: '', remoteAddress: '', comment: '', builtIn: true });
    }
  }

  addPppProfile(name: string, fields: Partial<Omit<PppProfile, 'id' | 'name' | 'builtIn'>> = {}): PppProfile {
    if (this.findPppProfile(name)) throw new SimulatorError('failure: profile with the same name already exists');
    const p: PppProfile = { id: this.nextId('ppp-profile'), name, rateLimit: '', localAddress: '', remoteAddress: '', comment: '', ...fields, builtIn: false };
    this.pppProfiles.set(p.id, p);
    return p;
  }

  findPppProfile(name: string): PppProfile | undefined {
    for (const p of this.pppProfiles.values()) if (p.name === name) return p;
    return undefined;
  }

  nowMs(): number {
    return this.clock.now().getTime();
  }

  /** 7.18 and later send `!empty` for a print that matched nothing. */
  get sendsEmpty(): boolean {
    const [major = 0, minor = 0] = this.version.split(/[.\s]/).map(Number);
    return major > 7 || (major === 7 && minor >= 18);
  }

  get isV7(): boolean {
    return Number(this.version.split('.')[0]) >= 7;
  }

  uptimeSeconds(): number {
    return Math.floor((this.nowMs() - this.bootMs) / 1000);
  }

  nextId(menu: string): number {
    const n = (this.ids.get(menu) ?? 0) + 1;
    this.ids.set(menu, n);
    return n;
  }

  // --- subscribers ---------------------------------------------------------------------------

  addSecret(name: string, fields: Partial<Omit<Secret, 'id' | 'name'>> = {}): Secret {
    if (this.findSecret(name)) throw new SimulatorError(`failure: secret with the same name already exists`);
    const s: Secret = {
      id: this.nextId('secret'),
      name,
      password: '',
      service: 'any',
      profile: 'default',
      callerId: '',
      remoteAddress: '',
      localAddress: '',
      disabled: false,
      comment: '',
      lastLoggedOut: null,
      ...fields,
    };
    this.secrets.set(s.id, s);
    this.secretByName.set(name, s);
    return s;
  }

  findSecret(name: string): Secret | undefined {
    return this.secretByName.get(name);
  }

  renameSecret(s: Secret, name: string): void {
    this.secretByName.delete(s.name);
    s.name = name;
    this.secretByName.set(name, s);
  }

  removeSecret(id: number): void {
    const s = this.secrets.get(id);
    if (!s) return;
    this.secrets.delete(id);
    this.secretByName.delete(s.name);
  }

  addHotspotUser(name: string, fields: Partial<Omit<HotspotUser, 'id' | 'name'>> = {}): HotspotUser {
    if (this.findHotspotUser(name)) throw new SimulatorError('failure: already have user with this name for this server');
    const u: HotspotUser = {
      id: this.nextId('hotspot-user'),
      name,
      password: '',
      profile: 'default',
      server: 'all',
      macAddress: '',
      disabled: false,
      comment: '',
      ...fields,
    };
    this.hotspotUsers.set(u.id, u);
    this.hotspotUserByName.set(name, u);
    return u;
  }

  findHotspotUser(name: string): HotspotUser | undefined {
    return this.hotspotUserByName.get(name);
  }

  renameHotspotUser(u: HotspotUser, name: string): void {
    this.hotspotUserByName.delete(u.name);
    u.name = name;
    this.hotspotUserByName.set(name, u);
  }

  removeHotspotUser(id: number): void {
    const u = this.hotspotUsers.get(id);
    if (!u) return;
    this.hotspotUsers.delete(id);
    this.hotspotUserByName.delete(u.name);
  }

  /**
   * A subscriber dials in: a new session with counters from zero (RouterOS makes a new dynamic
   * interface per session; that its counters restart is inference, UNCERTAIN in reference §8).
   * Refused (as the router refuses authentication) when the PPP secret or hotspot user is missing
   * or disabled.
   */
  connect(login: string, options: { kind?: 'ppp' | 'hotspot'; rates?: Partial<Rates>; address?: string; callerId?: string } = {}): Session {
    const kind = options.kind ?? 'ppp';
    const account = kind === 'ppp' ? this.findSecret(login) : this.findHotspotUser(login);
    if (!account) throw new SimulatorError(`${login}: no such ${kind === 'ppp' ? 'PPP secret' : 'hotspot user'}`);
    if (account.disabled) throw new SimulatorError(`${login}: account is disabled`);
    const now = this.nowMs();
    const n = ++this.sessionSeq;
    const rates = { ...this.defaultRates, ...options.rates };
    const taken = new Set([...(this.sessionsByLogin.get(login) ?? [])].map((x) => x.interfaceName));
    let interfaceName = `<pppoe-${login}>`;
    for (let i = 1; taken.has(interfaceName); i++) interfaceName = `<pppoe-${login}-${i}>`;
    const s: Session = {
      kind,
      // Separate ranges so both active menus can share one map; looks like RouterOS's *8000001A.
      id: this.nextId(kind === 'ppp' ? 'ppp-active' : 'hotspot-active') + (kind === 'ppp' ? 0x80000000 : 0x90000000),
      interfaceId: kind === 'ppp' ? this.nextId('interface') : 0,
      queueId: kind === 'ppp' ? this.nextId('queue') : 0,
      login,
      service: kind === 'ppp' ? 'pppoe' : 'hotspot',
      interfaceName,
      callerId: options.callerId ?? macFor(n),
      address: options.address ?? (kind === 'ppp' ? ipFor(10, n) : ipFor(172, n)),
      sessionId: `0x8${n.toString(16).toUpperCase().padStart(7, '0')}`,
      profile: account.profile,
      startMs: now,
      download: new ByteCounter(0n, rates.downloadBps, now),
      upload: new ByteCounter(0n, rates.uploadBps, now),
    };
    this.sessions.set(s.id, s);
    const mine = this.sessionsByLogin.get(login) ?? new Set<Session>();
    mine.add(s);
    this.sessionsByLogin.set(login, mine);
    return s;
  }

  /** Ends the login's sessions (a PPP disconnect or `/ppp/active/remove`). Returns how many. */
  disconnect(login: string): number {
    const mine = [...(this.sessionsByLogin.get(login) ?? [])];
    for (const s of mine) this.endSession(s);
    return mine.length;
  }

  endSession(s: Session): void {
    const now = this.nowMs();
    const t = this.ended.get(s.login) ?? { download: 0n, upload: 0n, sessions: 0 };
    t.download += s.download.value(now);
    t.upload += s.upload.value(now);
    t.sessions++;
    this.ended.set(s.login, t);
    this.sessions.delete(s.id);
    this.sessionsByLogin.get(s.login)?.delete(s);
    if (s.kind === 'ppp') {
      const secret = this.findSecret(s.login);
      if (secret) secret.lastLoggedOut = new Date(now);
    }
  }

  /** Disconnect and dial in again: a new session, counters from zero. */
  reconnect(login: string, options: { kind?: 'ppp' | 'hotspot'; rates?: Partial<Rates> } = {}): Session {
    const old = this.sessionOf(login);
    const kind = options.kind ?? old?.kind ?? 'ppp';
    this.disconnect(login);
    return this.connect(login, { ...options, kind });
  }

  sessionOf(login: string): Session | undefined {
    for (const s of this.sessionsByLogin.get(login) ?? []) return s;
    return undefined;
  }

  setRates(login: string, rates: Partial<Rates>): void {
    const s = this.requireSession(login);
    const now = this.nowMs();
    if (rates.downloadBps !== undefined) s.download.setRate(rates.downloadBps, now);
    if (rates.uploadBps !== undefined) s.upload.setRate(rates.uploadBps, now);
  }

  addTraffic(login: string, download: bigint, upload: bigint): void {
    const s = this.requireSession(login);
    s.download.add(download);
    s.upload.add(upload);
  }

  private requireSession(login: string): Session {
    const s = this.sessionOf(login);
    if (!s) throw new SimulatorError(`${login}: not connected`);
    return s;
  }

  /**
   * Power cycle: every session ends, uptime restarts, dynamic ids restart, dynamic address-list
   * entries (those with a timeout) vanish; secrets, users, static entries stay.
   */
  reboot(): void {
    for (const s of [...this.sessions.values()]) this.endSession(s);
    for (const [id, e] of this.addressList) if (e.timeoutSeconds !== null) this.addressList.delete(id);
    const now = this.nowMs();
    for (const q of this.queues.values()) {
      q.download.reset(now);
      q.upload.reset(now);
    }
    for (const menu of ['ppp-active', 'hotspot-active', 'interface', 'queue']) this.ids.delete(menu);
    this.bootMs = now;
  }

  /**
   * What each login has really moved: ended sessions' final counters plus open sessions' current
   * ones. This is what a perfect collector would report.
   */
  truth(): Map<string, { download: bigint; upload: bigint }> {
    const now = this.nowMs();
    const out = new Map<string, { download: bigint; upload: bigint }>();
    for (const [login, t] of this.ended) out.set(login, { download: t.download, upload: t.upload });
    for (const s of this.sessions.values()) {
      const t = out.get(s.login) ?? { download: 0n, upload: 0n };
      t.download += s.download.value(now);
      t.upload += s.upload.value(now);
      out.set(s.login, t);
    }
    return out;
  }

  // --- address lists -------------------------------------------------------------------------

  /**
   * Drops expired dynamic entries; called before every read. An entry with a timeout is dynamic,
   * lives in RAM and is gone after expiry or reboot (third-party statements only: UNCERTAIN).
   */
  expireAddressList(): void {
    const now = this.nowMs();
    for (const [id, e] of this.addressList) {
      if (e.timeoutSeconds !== null && e.createdMs + e.timeoutSeconds * 1000 <= now) this.addressList.delete(id);
    }
  }

  addAddressListEntry(list: string, address: string, fields: { timeoutSeconds?: number | null; disabled?: boolean; comment?: string } = {}): AddressListEntry {
    this.expireAddressList();
    for (const e of this.addressList.values()) {
      // UNCERTAIN (reference §6): third-party code expects this text; we reject on 6.49 too.
      if (e.list === list && e.address === address) throw new SimulatorError('failure: already have such entry');
    }
    const e: AddressListEntry = {
      id: this.nextId('address-list'),
      list,
      address,
      timeoutSeconds: fields.timeoutSeconds ?? null,
      disabled: fields.disabled ?? false,
      comment: fields.comment ?? '',
      createdMs: this.nowMs(),
    };
    this.addressList.set(e.id, e);
    return e;
  }

  addQueue(name: string, target: string, rates: Partial<Rates> = {}, maxLimit = '0/0'): StaticQueue {
    const now = this.nowMs();
    const q: StaticQueue = {
      id: this.nextId('static-queue') + 0x1000,
      name,
      target,
      maxLimit,
      disabled: false,
      comment: '',
      download: new ByteCounter(0n, rates.downloadBps ?? 0, now),
      upload: new ByteCounter(0n, rates.uploadBps ?? 0, now),
    };
    this.queues.set(q.id, q);
    return q;
  }

  /** Creates `count` PPP secrets (`prefix0001`…) and dials them all in. */
  populate(count: number, options: { prefix?: string; kind?: 'ppp' | 'hotspot'; rates?: Partial<Rates> } = {}): void {
    const kind = options.kind ?? 'ppp';
    const prefix = options.prefix ?? (kind === 'ppp' ? 'user' : 'hs');
    const width = Math.max(4, String(count).length);
    for (let i = 1; i <= count; i++) {
      const login = `${prefix}${String(i).padStart(width, '0')}`;
      if (kind === 'ppp') this.addSecret(login, { password: `pw${i}`, service: 'pppoe' });
      else this.addHotspotUser(login, { password: `pw${i}` });
      this.connect(login, { kind, ...(options.rates ? { rates: options.rates } : {}) });
    }
  }
}

function macFor(n: number): string {
  const hex = n.toString(16).toUpperCase().padStart(8, '0');
  return `02:00:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${hex.slice(6, 8)}`;
}

function ipFor(first: number, n: number): string {
  return `${first}.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}
