import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A contract fake of Splynx API v2.0, built from its published reference (test/fixtures/splynx/
 * README.md) and strict where the documentation is: it checks the Authorization header (API key
 * signature with a nonce that must grow, or an access token that expires after 30 minutes and is
 * bound to the User-Agent that made it), refuses undocumented fields in POST/PUT bodies with 422
 * INVALID_INPUT_DATA, answers the documented success codes (GET 200, POST 201, PUT 202,
 * DELETE/HEAD 204), paginates with limit/offset, counts with X-total-count on HEAD, filters with
 * main_attributes (=, >, >=, <, <=, LIKE, IN) and keeps state. Faults (429, 500, latency, a response
 * lost after the change was applied) are injected per request.
 */
type Row = Record<string, unknown>;
const FIXTURES = new URL('../../fixtures/splynx/', import.meta.url);
const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as T;
/**
 * Body fields per kind. Credit notes from the API v2.0 blueprint ("Credit note Base", "Credit note
 * item"): required customer_id, status (not_refunded, refunded, deleted), number, items; each item
 * requires description, quantity and unit.
 */
export const SPLYNX_FIELDS: Record<string, string[]> = {
  ...fixture<Record<string, string[]>>('splynx-fields.json'),
  creditNote: ['customer_id', 'date_created', 'date_updated', 'date_payment', 'status', 'number', 'payment_id', 'note', 'is_sent', 'items'],
  creditNoteRequired: ['customer_id', 'status', 'number', 'items'],
  creditNoteStatus: ['not_refunded', 'refunded', 'deleted'],
  creditNoteItem: ['description', 'quantity', 'unit', 'price', 'tax', 'sub_account_id'],
  creditNoteItemRequired: ['description', 'quantity', 'unit'],
};

export interface Fault {
  /** HTTP status to answer (429, 500, 503…), or 'drop' to apply the request and then cut the connection. */
  status: number | 'drop';
  method?: string;
  /** Matched against the start of the API path (e.g. admin/finance/transactions). */
  path?: string;
  times: number;
  /** Matching requests let through before the fault starts (e.g. 1: the second page fails). */
  skip?: number;
  retryAfter?: number;
}

export interface FakeRequest {
  method: string;
  path: string;
  status: number;
}

interface Token {
  access: string;
  refresh: string;
  accessExp: number;
  refreshExp: number;
  userAgent: string;
}

export class SplynxFake {
  readonly apiKey = `key${randomBytes(6).toString('hex')}`;
  readonly apiSecret = randomBytes(16).toString('hex');
  private server: Server | null = null;
  url = '';
  /** Seconds since the epoch as the fake sees them (tests move it to expire tokens). */
  now = Math.floor(Date.now() / 1000);
  latencyMs = 0;
  readonly faults: Fault[] = [];
  readonly requests: FakeRequest[] = [];
  private lastNonce = 0;
  private readonly tokens = new Map<string, Token>();
  private readonly ids: Record<string, number> = {};
  readonly customers = new Map<number, Row>();
  readonly services = new Map<number, Row>();
  readonly tariffs = new Map<number, Row>();
  readonly transactions = new Map<number, Row>();
  readonly invoices = new Map<number, Row>();
  readonly creditNotes = new Map<number, Row>();
  readonly payments = new Map<number, Row>();
  readonly administrators = new Map<number, Row>();
  /** Admin session hashes (what Splynx puts in an add-on page's ?sash=) → administrator id. */
  readonly sessions = new Map<string, number>();

  constructor(options: { seed?: boolean } = {}) {
    if (options.seed !== false) {
      for (const c of fixture<Row[]>('customers.json')) this.put(this.customers, c);
      for (const s of fixture<Row[]>('internet-services.json')) this.put(this.services, s);
      for (const t of fixture<Row[]>('tariffs-internet.json')) this.put(this.tariffs, t);
      for (const a of fixture<Row[]>('administrators.json')) this.put(this.administrators, a);
      for (const p of fixture<Row[]>('payments.json')) this.put(this.payments, p);
    }
  }

  /** Adds or replaces a record; values become strings, as Splynx sends them. */
  put(table: Map<number, Row>, row: Row): Row {
    const id = row.id === undefined ? this.nextId(table) : Number(row.id);
    const stored = stringify({ ...row, id });
    table.set(id, stored);
    return stored;
  }

  private nextId(table: Map<number, Row>): number {
    return Math.max(0, ...table.keys()) + 1;
  }

  fault(f: Fault): void {
    this.faults.push(f);
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const prefix = '/api/2.0/';
    const path = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : url.pathname;
    const answer = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      this.requests.push({ method, path, status });
      const text = body === undefined || method === 'HEAD' ? '' : JSON.stringify(body);
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(text);
    };
    const fail = (status: number, internal: string, message: string) => answer(status, { error: { message, code: status, internal_code: internal } });
    if (this.latencyMs) await new Promise((r) => setTimeout(r, this.latencyMs));
    let fault = this.faults.find((f) => f.times > 0 && (!f.method || f.method === method) && (!f.path || path.startsWith(f.path)));
    if (fault?.skip) {
      fault.skip--;
      fault = undefined;
    }
    if (fault && fault.status !== 'drop') {
      fault.times--;
      this.requests.push({ method, path, status: fault.status });
      res.writeHead(fault.status, { 'Content-Type': 'application/json', ...(fault.retryAfter ? { 'Retry-After': String(fault.retryAfter) } : {}) });
      res.end(JSON.stringify({ error: { message: 'Injected fault', code: fault.status, internal_code: fault.status === 429 ? 'TOO_MANY_REQUESTS' : 'SERVER_ERROR' } }));
      return;
    }
    let body: unknown = undefined;
    if (chunks.length) {
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return fail(400, 'BAD_REQUEST', 'Request body is not JSON');
      }
    }
    const ua = req.headers['user-agent'] ?? '';
    try {
      if (path === 'admin/auth/tokens' || path.startsWith('admin/auth/tokens/')) return this.tokenRoute(method, path, body, ua, answer, fail);
      const who = this.authenticate(req.headers.authorization, ua);
      if ('error' in who) return fail(401, who.error, who.message);
      const headers: Record<string, string> = {};
      if (who.admin) {
        headers['SpL-Administrator-Id'] = String(who.admin.id);
        headers['SpL-Administrator-Role'] = String(who.admin.role_name);
        headers['SpL-Administrator-Partner'] = String(who.admin.partner_id ?? '1');
      }
      const result = this.route(method, path, url.searchParams, body);
      if (fault?.status === 'drop') {
        // Applied, but the answer never arrives: what a crash or a cut connection looks like.
        fault.times--;
        this.requests.push({ method, path, status: 0 });
        res.socket?.destroy();
        return;
      }
      answer(result.status, result.body, { ...headers, ...result.headers });
    } catch (err) {
      if (err instanceof FakeError) return fail(err.status, err.internal, err.message);
      return fail(500, 'SERVER_ERROR', (err as Error).message);
    }
  }

  private authenticate(header: string | undefined, ua: string): { admin: Row | null } | { error: string; message: string } {
    if (!header) return { error: 'MISSED_AUTHORIZATION_HEADER', message: 'Authorization header is missed' };
    const m = /^Splynx-EA \((.*)\)$/.exec(header);
    if (!m) return { error: 'UNAUTHORIZED', message: 'Unknown authorization scheme' };
    const p = new URLSearchParams(m[1]);
    if (p.has('access_token')) {
      const t = this.tokens.get(p.get('access_token')!);
      if (!t || !p.get('access_token')) return { error: 'EMPTY_ACCESS_TOKEN', message: 'Access token is invalid' };
      if (t.userAgent !== ua) return { error: 'USER_AGENT_CHANGED', message: 'User agent changed' };
      if (this.now >= t.accessExp) return { error: 'EXPIRED_ACCESS_TOKEN', message: 'Access token expired' };
      return { admin: null };
    }
    const check = this.checkSignature(p.get('key'), p.get('nonce'), p.get('signature'));
    if (check) return { error: 'UNAUTHORIZED', message: check };
    const sash = p.get('sash');
    if (sash === null) return { admin: null };
    const adminId = this.sessions.get(sash);
    const admin = adminId === undefined ? undefined : this.administrators.get(adminId);
    if (!admin) return { error: 'INVALID_SASH', message: 'Invalid Splynx admin session hash' };
    return { admin };
  }

  private checkSignature(key: string | null, nonceText: string | null, signature: string | null): string | null {
    if (key !== this.apiKey) return 'Unknown API key';
    if (!nonceText || !/^\d+$/.test(nonceText)) return 'Nonce is missed';
    const expected = createHmac('sha256', this.apiSecret).update(`${nonceText}${key}`).digest('hex').toUpperCase();
    if (signature !== expected) return 'Signature is invalid';
    const nonce = Number(nonceText);
    if (nonce <= this.lastNonce) return 'Nonce must be greater than the last one';
    this.lastNonce = nonce;
    return null;
  }

  private issueToken(ua: string): Token {
    const t: Token = { access: randomBytes(16).toString('hex'), refresh: randomBytes(16).toString('hex'), accessExp: this.now + 1800, refreshExp: this.now + 30 * 86400, userAgent: ua };
    this.tokens.set(t.access, t);
    return t;
  }

  private tokenRoute(method: string, path: string, body: unknown, ua: string, answer: (s: number, b?: unknown) => void, fail: (s: number, c: string, m: string) => void): void {
    const refresh = path.slice('admin/auth/tokens/'.length);
    if (method === 'POST' && path === 'admin/auth/tokens') {
      const b = (body ?? {}) as Row;
      const unknown = Object.keys(b).filter((k) => !SPLYNX_FIELDS.token!.includes(k));
      if (unknown.length) return fail(422, 'INVALID_INPUT_DATA', `Unknown fields: ${unknown.join(', ')}`);
      if (b.auth_type !== 'api_key') return fail(400, 'INVALID_AUTH_TYPE', 'Only api_key is supported by this fake');
      const problem = this.checkSignature(String(b.key ?? ''), b.nonce === undefined ? null : String(b.nonce), b.signature === undefined ? null : String(b.signature));
      if (problem) return fail(401, 'UNAUTHORIZED', problem);
      const t = this.issueToken(ua);
      return answer(201, { access_token: t.access, access_token_expiration: t.accessExp, refresh_token: t.refresh, refresh_token_expiration: t.refreshExp, permissions: [] });
    }
    const held = [...this.tokens.values()].find((t) => t.refresh === refresh);
    if (!held) return fail(404, 'NOT_FOUND', 'Refresh token not found');
    if (method === 'GET') {
      if (held.userAgent !== ua) return fail(401, 'USER_AGENT_CHANGED', 'User agent changed');
      if (this.now >= held.refreshExp) return fail(401, 'EXPIRED_REFRESH_TOKEN', 'Refresh token expired');
      this.tokens.delete(held.access);
      const t = this.issueToken(ua);
      return answer(200, { access_token: t.access, access_token_expiration: t.accessExp, refresh_token: t.refresh, refresh_token_expiration: t.refreshExp });
    }
    if (method === 'DELETE') {
      this.tokens.delete(held.access);
      return answer(204);
    }
    fail(405, 'METHOD_NOT_ALLOWED', 'Method not allowed');
  }

  private route(method: string, path: string, query: URLSearchParams, body: unknown): { status: number; body?: unknown; headers?: Record<string, string> } {
    let m: RegExpExecArray | null;
    if ((m = /^admin\/customers\/customer\/(\d+)\/internet-services(?:--(\d+))?$/.exec(path))) {
      const cid = Number(m[1]);
      if (m[2]) return this.one(method, this.services, Number(m[2]), null, body, (r) => Number(r.customer_id) === cid);
      if (method !== 'GET' && method !== 'HEAD') throw new FakeError(405, 'METHOD_NOT_ALLOWED', 'Only GET here in this fake');
      const filters = parseNested(query);
      if (cid === 0 && !Object.keys((filters.main_attributes as Row) ?? {}).length) throw new FakeError(400, 'BAD_REQUEST', 'Set at least one service parameter');
      const rows = [...this.services.values()].filter((r) => cid === 0 || Number(r.customer_id) === cid);
      return this.list(method, rows, filters);
    }
    const tables: Array<[RegExp, Map<number, Row>, string | null]> = [
      [/^admin\/customers\/customer(?:\/(\d+))?$/, this.customers, 'customer'],
      [/^admin\/tariffs\/internet(?:\/(\d+))?$/, this.tariffs, null],
      [/^admin\/finance\/transactions(?:\/(\d+))?$/, this.transactions, 'transaction'],
      [/^admin\/finance\/invoices(?:\/(\d+))?$/, this.invoices, 'invoice'],
      [/^admin\/finance\/credit-notes(?:\/(\d+))?$/, this.creditNotes, 'creditNote'],
      [/^admin\/finance\/payments(?:\/(\d+))?$/, this.payments, 'payment'],
      [/^admin\/administration\/administrators(?:\/(\d+))?$/, this.administrators, null],
    ];
    for (const [re, table, kind] of tables) {
      if (!(m = re.exec(path))) continue;
      if (m[1]) return this.one(method, table, Number(m[1]), kind, body);
      if (method === 'GET' || method === 'HEAD') return this.list(method, [...table.values()], parseNested(query));
      if (method === 'POST' && kind) {
        this.validate(kind, body, true);
        const row = this.put(table, { ...(body as Row), ...(kind === 'transaction' || kind === 'invoice' || kind === 'creditNote' ? { total: totalOf(kind, body as Row) } : {}) });
        return { status: 201, body: { id: Number(row.id) } };
      }
      throw new FakeError(405, 'METHOD_NOT_ALLOWED', 'Method not allowed');
    }
    throw new FakeError(404, 'NOT_FOUND', 'Requested entity not found');
  }

  private one(method: string, table: Map<number, Row>, id: number, kind: string | null, body: unknown, belongs: (r: Row) => boolean = () => true): { status: number; body?: unknown } {
    const row = table.get(id);
    if (!row || !belongs(row)) throw new FakeError(404, 'NOT_FOUND', 'Requested entity not found');
    if (method === 'GET') return { status: 200, body: row };
    if (method === 'PUT' && kind) {
      this.validate(kind, body, false);
      table.set(id, { ...row, ...stringify(body as Row) });
      return { status: 202 };
    }
    if (method === 'DELETE') {
      table.delete(id);
      return { status: 204 };
    }
    throw new FakeError(405, 'METHOD_NOT_ALLOWED', 'Method not allowed');
  }

  private list(method: string, rows: Row[], q: Row): { status: number; body?: unknown; headers?: Record<string, string> } {
    const main = (q.main_attributes ?? {}) as Row;
    let out = rows.filter((r) => Object.entries(main).every(([field, cond]) => matches(r[field], cond)));
    const order = (q.order ?? { id: 'ASC' }) as Record<string, string>;
    const [field, dir] = Object.entries(order)[0] ?? ['id', 'ASC'];
    out = out.sort((a, b) => compare(a[field], b[field]) * (String(dir).toUpperCase() === 'DESC' ? -1 : 1));
    if (method === 'HEAD') return { status: 204, headers: { 'X-total-count': String(out.length), 'Access-Control-Expose-Headers': 'X-total-count' } };
    const offset = Number(q.offset ?? 0);
    const limit = q.limit === undefined ? out.length : Number(q.limit);
    return { status: 200, body: out.slice(offset, offset + limit) };
  }

  private validate(kind: string, body: unknown, create: boolean): void {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new FakeError(422, 'INVALID_INPUT_DATA', 'Input data is invalid');
    const b = body as Row;
    const allowed = SPLYNX_FIELDS[kind]!;
    const unknown = Object.keys(b).filter((k) => !allowed.includes(k));
    if (unknown.length) throw new FakeError(422, 'INVALID_INPUT_DATA', `Unknown fields: ${unknown.join(', ')}`);
    if (create) {
      const missing = (SPLYNX_FIELDS[`${kind}Required`] ?? []).filter((k) => b[k] === undefined || b[k] === null || b[k] === '');
      if (missing.length) throw new FakeError(422, 'INVALID_INPUT_DATA', `Required: ${missing.join(', ')}`);
    }
    if (kind === 'customer' && b.status !== undefined && !SPLYNX_FIELDS.customerStatus!.includes(String(b.status))) throw new FakeError(422, 'INVALID_INPUT_DATA', `status must be one of ${SPLYNX_FIELDS.customerStatus!.join(', ')}`);
    if (kind === 'transaction' && b.type !== undefined && b.type !== 'debit' && b.type !== 'credit') throw new FakeError(422, 'INVALID_INPUT_DATA', "type must be 'debit' or 'credit'");
    if (kind === 'creditNote' && b.status !== undefined && !SPLYNX_FIELDS.creditNoteStatus!.includes(String(b.status))) throw new FakeError(422, 'INVALID_INPUT_DATA', `status must be one of ${SPLYNX_FIELDS.creditNoteStatus!.join(', ')}`);
    if ((kind === 'invoice' || kind === 'creditNote') && b.items !== undefined) {
      if (!Array.isArray(b.items) || !b.items.length) throw new FakeError(422, 'INVALID_INPUT_DATA', 'items must be a list');
      for (const item of b.items as Row[]) {
        const bad = Object.keys(item).filter((k) => !SPLYNX_FIELDS[`${kind}Item`]!.includes(k));
        if (bad.length) throw new FakeError(422, 'INVALID_INPUT_DATA', `Unknown item fields: ${bad.join(', ')}`);
        const missing = SPLYNX_FIELDS[`${kind}ItemRequired`]!.filter((k) => item[k] === undefined);
        if (missing.length) throw new FakeError(422, 'INVALID_INPUT_DATA', `Required item fields: ${missing.join(', ')}`);
      }
    }
  }
}

class FakeError extends Error {
  constructor(
    readonly status: number,
    readonly internal: string,
    message: string,
  ) {
    super(message);
  }
}

function stringify(row: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) out[k] = v === null || typeof v === 'object' || typeof v === 'boolean' ? v : String(v);
  return out;
}

function totalOf(kind: string, b: Row): string {
  // Enough for the fake: totals in ten-thousandths as Splynx prints them (never used for money in Octet).
  const lines = kind === 'invoice' || kind === 'creditNote' ? (b.items as Row[]) : [b];
  let t = 0n;
  for (const l of lines) t += BigInt(Math.round(Number(l.price ?? 0) * 10000)) * BigInt(Math.round(Number(l.quantity ?? 1)));
  const a = t < 0n ? -t : t;
  return `${t < 0n ? '-' : ''}${a / 10000n}.${String(a % 10000n).padStart(4, '0')}`;
}

/** PHP-style nested query (`a[b][0]=x`) into objects and arrays. */
export function parseNested(q: URLSearchParams): Row {
  const root: Row = {};
  for (const [key, value] of q) {
    const parts = key.split(/\[|\]\[|\]/).filter((p) => p !== '');
    let node: Row = root;
    parts.forEach((p, i) => {
      if (i === parts.length - 1) node[p] = value;
      else node = (node[p] ??= {}) as Row;
    });
  }
  return root;
}

function compare(a: unknown, b: unknown): number {
  const na = Number(a);
  const nb = Number(b);
  if (a !== '' && b !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return String(a ?? '').localeCompare(String(b ?? ''));
}

function matches(value: unknown, cond: unknown): boolean {
  if (typeof cond !== 'object' || cond === null) return String(value ?? '') === String(cond);
  const c = cond as Row;
  const op = String(c['0']).toUpperCase();
  const arg = c['1'];
  switch (op) {
    case '=':
      return String(value ?? '') === String(arg);
    case '!=':
    case '<>':
      return String(value ?? '') !== String(arg);
    case '>':
      return compare(value, arg) > 0;
    case '>=':
      return compare(value, arg) >= 0;
    case '<':
      return compare(value, arg) < 0;
    case '<=':
      return compare(value, arg) <= 0;
    case 'LIKE':
      return String(value ?? '').toLowerCase().includes(String(arg).toLowerCase());
    case 'IN':
      return Object.values((arg ?? {}) as Row).map(String).includes(String(value));
    default:
      throw new FakeError(400, 'BAD_REQUEST', `Unknown operator ${op}`);
  }
}
