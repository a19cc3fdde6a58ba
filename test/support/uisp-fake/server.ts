import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A contract fake of the UISP CRM API (v1.0) and its `/current-user` page, for the endpoints
 * Octet uses, as the API blueprint documents them, seeded with the blueprint's examples
 * (test/fixtures/uisp/). Strict on purpose:
 * - X-Auth-App-Key: missing or unknown 401 (Error401); a Read key on anything but GET 403.
 * - Query parameters the blueprint does not list for an endpoint: 400 (Error400).
 * - Body fields it does not list, or of the wrong type: 422 (Error422 with `errors`).
 * - limit/offset paging; unknown ids 404 (Error404).
 * Every request is logged in `requests` (without the key) for assertions.
 */
const FIXTURES = new URL('../../fixtures/uisp/', import.meta.url);
const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as T;
const ERRORS = fixture<Record<string, { code: number; message: string }>>('errors.json');

export type Json = Record<string, unknown>;

export interface CurrentUser {
  userId: number;
  username: string;
  isClient: boolean;
  clientId: number | null;
  userGroup: string | null;
  specialPermissions: Record<string, string>;
  permissions: Record<string, string>;
}

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

export interface UispFake {
  /** The CRM's base URL, as ucrm.json's ucrmPublicUrl: `http://127.0.0.1:<port>/crm/`. */
  url: string;
  readKey: string;
  writeKey: string;
  clients: Json[];
  services: Json[];
  payments: Json[];
  invoices: Json[];
  creditNotes: Json[];
  taxes: Json[];
  webhookEvents: Json[];
  /** PHPSESSID (or nms-crm-php-session-id) → the user /current-user answers with. */
  sessions: Map<string, CurrentUser>;
  requests: FakeRequest[];
  /** The next `count` API requests are answered `status` (for retry tests). */
  failNext(status: number, count?: number): void;
  close(): Promise<void>;
}

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: Json,
  ) {
    super(String(body.message));
  }
}

const badRequest = (why: string) => new HttpFailure(400, { ...ERRORS['400']!, message: `Bad request. ${why}` });
const notFound = () => new HttpFailure(404, { ...ERRORS['404']! });
const invalid = (errors: Record<string, string[]>) => new HttpFailure(422, { code: 422, message: 'Validation failed.', errors });

function checkQuery(query: URLSearchParams, allowed: string[]): void {
  for (const key of new Set(query.keys())) if (!allowed.includes(key)) throw badRequest(`Unknown parameter "${key}".`);
  for (const key of ['limit', 'offset']) {
    const v = query.get(key);
    if (v !== null && !/^\d+$/.test(v)) throw badRequest(`"${key}" must be a non-negative integer.`);
  }
}

function paged<T>(rows: T[], query: URLSearchParams): T[] {
  const offset = Number(query.get('offset') ?? 0);
  const limit = query.get('limit') === null ? rows.length : Number(query.get('limit'));
  return rows.slice(offset, offset + limit);
}

type FieldType = 'number' | 'string' | 'boolean' | 'array' | 'nullable-string';
function checkBody(body: unknown, fields: Record<string, FieldType>, required: string[] = []): Json {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalid({ body: ['This value should be a JSON object.'] });
  const errors: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(body as Json)) {
    const type = fields[k];
    if (!type) errors[k] = ['This field was not expected.'];
    else if (type === 'array' ? !Array.isArray(v) : type === 'nullable-string' ? v !== null && typeof v !== 'string' : typeof v !== type) errors[k] = [`This value should be of type ${type}.`];
  }
  for (const k of required) if ((body as Json)[k] === undefined) errors[k] = ['This value should not be blank.'];
  if (Object.keys(errors).length) throw invalid(errors);
  return body as Json;
}

const INVOICE_ITEM: Record<string, FieldType> = { label: 'string', price: 'number', quantity: 'number', unit: 'string', tax1Id: 'number', tax2Id: 'number', tax3Id: 'number', productId: 'number', serviceId: 'number', feeId: 'number' };
const INVOICE_NEW: Record<string, FieldType> = {
  items: 'array', number: 'string', createdDate: 'string', maturityDays: 'number', notes: 'string', adminNotes: 'string', discount: 'number', discountLabel: 'string',
  invoiceTemplateId: 'number', applyCredit: 'boolean', draft: 'boolean', attributes: 'array', proforma: 'boolean', payAutomatically: 'boolean',
};

/** CreditNoteItem and CreditNoteNew (= CreditNote + items) of the blueprint; label and price are required per item. */
const CREDIT_NOTE_ITEM: Record<string, FieldType> = { label: 'string', price: 'number', quantity: 'number', unit: 'string', tax1Id: 'number', tax2Id: 'number', tax3Id: 'number' };
const CREDIT_NOTE_NEW: Record<string, FieldType> = Object.fromEntries(
  [
    ...['createdDate', 'notes', 'adminNotes', 'organizationName', 'organizationRegistrationNumber', 'organizationTaxId', 'organizationStreet1', 'organizationStreet2', 'organizationCity', 'organizationZipCode'],
    ...['organizationBankAccountName', 'organizationBankAccountField1', 'organizationBankAccountField2', 'clientFirstName', 'clientLastName', 'clientCompanyName', 'clientCompanyRegistrationNumber'],
    ...['clientCompanyTaxId', 'clientStreet1', 'clientStreet2', 'clientCity', 'clientZipCode'],
  ]
    .map((k): [string, FieldType] => [k, 'string'])
    .concat([
      ['emailSentDate', 'nullable-string'],
      ['creditNoteTemplateId', 'number'],
      ['organizationCountryId', 'number'],
      ['organizationStateId', 'number'],
      ['clientCountryId', 'number'],
      ['clientStateId', 'number'],
      ['items', 'array'],
    ]),
);

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (data += c));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

function cookiesOf(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return out;
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const byId = (rows: Json[], id: string) => rows.find((r) => String(r.id) === id);

export async function startUispFake(): Promise<UispFake> {
  const fake: Omit<UispFake, 'url' | 'close' | 'failNext'> = {
    readKey: 'read-key-0123456789abcdef0123456789abcdef',
    writeKey: 'write-key-0123456789abcdef0123456789abcdef',
    clients: [fixture<Json>('client.json')],
    services: [fixture<Json>('service.json')],
    payments: [fixture<Json>('payment.json')],
    invoices: [],
    creditNotes: [],
    taxes: [fixture<Json>('tax.json')],
    webhookEvents: [fixture<Json>('webhook-event.json')],
    sessions: new Map(),
    requests: [],
  };
  let failures: { status: number; left: number } | null = null;

  const api = async (method: string, path: string, query: URLSearchParams, body: unknown): Promise<{ status: number; json?: unknown }> => {
    let m: RegExpExecArray | null;
    if (method === 'GET' && path === 'clients') {
      checkQuery(query, ['organizationId', 'userIdent', 'customAttributeKey', 'customAttributeValue', 'lead', 'email', 'phone', 'username', 'isArchived', 'query', 'clientTagIds[]', 'limit', 'offset', 'order', 'direction']);
      const archived = query.get('isArchived') === '1';
      const rows = fake.clients.filter((c) => Boolean(c.isArchived) === archived).sort((a, b) => Number(a.id) - Number(b.id));
      return { status: 200, json: paged(rows, query) };
    }
    if ((m = /^clients\/(\d+)$/.exec(path)) && method === 'GET') {
      const c = byId(fake.clients, m[1]!);
      if (!c) throw notFound();
      return { status: 200, json: c };
    }
    if (method === 'GET' && path === 'clients/services') {
      checkQuery(query, ['organizationId', 'clientId', 'statuses[]', 'prepaid', 'hasOutage', 'customAttributeId', 'customAttributeKey', 'customAttributeValue', 'limit', 'offset']);
      const clientId = query.get('clientId');
      const statuses = query.getAll('statuses[]');
      const rows = fake.services.filter((s) => (clientId === null || String(s.clientId) === clientId) && (!statuses.length || statuses.includes(String(s.status))));
      return { status: 200, json: paged(rows, query) };
    }
    if ((m = /^clients\/services\/(\d+)$/.exec(path)) && method === 'GET') {
      const s = byId(fake.services, m[1]!);
      if (!s) throw notFound();
      return { status: 200, json: s };
    }
    if ((m = /^clients\/services\/(\d+)\/suspend$/.exec(path)) && method === 'PATCH') {
      const s = byId(fake.services, m[1]!);
      if (!s) throw notFound();
      const b = checkBody(body ?? {}, { suspensionReasonId: 'number' });
      if (s.status !== 1) throw invalid({ status: ['Only an active service can be suspended.'] });
      s.status = 3;
      s.suspensionReasonId = b.suspensionReasonId ?? null;
      syncClientFlag(String(s.clientId));
      return { status: 200 };
    }
    if ((m = /^clients\/services\/(\d+)\/cancel-suspend$/.exec(path)) && method === 'PATCH') {
      const s = byId(fake.services, m[1]!);
      if (!s) throw notFound();
      if (body !== undefined) checkBody(body, {});
      if (s.status !== 3) throw invalid({ status: ['The service is not suspended.'] });
      s.status = 1;
      s.suspensionReasonId = null;
      syncClientFlag(String(s.clientId));
      return { status: 200 };
    }
    if (method === 'GET' && path === 'payments') {
      checkQuery(query, ['createdDateFrom', 'createdDateTo', 'clientId', 'unattached', 'query', 'customAttributeKey', 'customAttributeValue', 'limit', 'offset', 'order', 'direction']);
      const order = query.get('order') ?? 'createdDate';
      if (!['id', 'createdDate', 'amount'].includes(order)) throw badRequest('Unknown order.');
      const dir = query.get('direction') === 'DESC' ? -1 : 1;
      const clientId = query.get('clientId');
      const rows = fake.payments.filter((p) => clientId === null || String(p.clientId) === clientId).sort((a, b) => dir * (order === 'createdDate' ? String(a.createdDate).localeCompare(String(b.createdDate)) : Number(a[order]) - Number(b[order])));
      return { status: 200, json: paged(rows, query) };
    }
    if ((m = /^payments\/(\d+)$/.exec(path)) && method === 'GET') {
      const p = byId(fake.payments, m[1]!);
      if (!p) throw notFound();
      return { status: 200, json: p };
    }
    if (method === 'GET' && path === 'invoices') {
      checkQuery(query, ['organizationId', 'clientId', 'createdDateFrom', 'createdDateTo', 'statuses[]', 'number', 'overdue', 'proforma', 'customAttributeKey', 'customAttributeValue', 'query', 'limit', 'offset', 'order', 'direction']);
      const clientId = query.get('clientId');
      const from = query.get('createdDateFrom');
      const to = query.get('createdDateTo');
      const rows = fake.invoices.filter((i) => {
        const day = String(i.createdDate).slice(0, 10);
        return (clientId === null || String(i.clientId) === clientId) && (from === null || day >= from) && (to === null || day <= to);
      });
      return { status: 200, json: paged(rows, query) };
    }
    if ((m = /^clients\/(\d+)\/invoices$/.exec(path)) && method === 'POST') {
      const client = byId(fake.clients, m[1]!);
      if (!client) throw notFound();
      const b = checkBody(body, INVOICE_NEW, ['items']);
      const items = b.items as unknown[];
      if (!items.length) throw invalid({ items: ['This collection should contain 1 element or more.'] });
      items.forEach((item, i) => {
        try {
          const it = checkBody(item, INVOICE_ITEM);
          if (it.productId === undefined && it.serviceId === undefined && it.feeId === undefined && (it.label === undefined || it.price === undefined)) throw invalid({ label: ['This value should not be blank.'] });
          if (it.tax1Id !== undefined && !byId(fake.taxes, String(it.tax1Id))) throw invalid({ tax1Id: ['Tax not found.'] });
        } catch (err) {
          if (err instanceof HttpFailure) throw invalid(Object.fromEntries(Object.entries((err.body.errors ?? {}) as Record<string, string[]>).map(([k, v]) => [`items[${i}].${k}`, v])));
          throw err;
        }
      });
      const id = fake.invoices.length + 1;
      const lines = items as Json[];
      const total = lines.reduce((s, it) => s + Number(it.price ?? 0) * Number(it.quantity ?? 1), 0);
      const invoice: Json = { ...clone(b), id, clientId: Number(client.id), number: String(2016050000 + id), createdDate: b.createdDate ?? new Date().toISOString(), adminNotes: b.adminNotes ?? null, status: b.draft ? 0 : 1, currencyCode: client.currencyCode, items: clone(lines), total };
      fake.invoices.push(invoice);
      return { status: 201, json: invoice };
    }
    if (method === 'GET' && path === 'credit-notes') {
      checkQuery(query, ['organizationId', 'clientId', 'createdDateFrom', 'createdDateTo', 'number', 'query', 'limit', 'offset', 'order', 'direction']);
      const clientId = query.get('clientId');
      const from = query.get('createdDateFrom');
      const to = query.get('createdDateTo');
      const rows = fake.creditNotes.filter((i) => {
        const day = String(i.createdDate).slice(0, 10);
        return (clientId === null || String(i.clientId) === clientId) && (from === null || day >= from) && (to === null || day <= to);
      });
      return { status: 200, json: paged(rows, query) };
    }
    if ((m = /^clients\/(\d+)\/credit-note$/.exec(path)) && method === 'POST') {
      const client = byId(fake.clients, m[1]!);
      if (!client) throw notFound();
      const b = checkBody(body, CREDIT_NOTE_NEW);
      const items = (b.items ?? []) as unknown[];
      if (!items.length) throw invalid({ items: ['This collection should contain 1 element or more.'] });
      items.forEach((item, i) => {
        try {
          const it = checkBody(item, CREDIT_NOTE_ITEM, ['label', 'price']);
          if (it.tax1Id !== undefined && !byId(fake.taxes, String(it.tax1Id))) throw invalid({ tax1Id: ['Tax not found.'] });
        } catch (err) {
          if (err instanceof HttpFailure) throw invalid(Object.fromEntries(Object.entries((err.body.errors ?? {}) as Record<string, string[]>).map(([k, v]) => [`items[${i}].${k}`, v])));
          throw err;
        }
      });
      const id = fake.creditNotes.length + 1;
      const lines = items as Json[];
      const total = lines.reduce((s, it) => s + Number(it.price ?? 0) * Number(it.quantity ?? 1), 0);
      const note: Json = {
        ...clone(b),
        id,
        clientId: Number(client.id),
        number: String(2016050000 + id),
        createdDate: b.createdDate ?? new Date().toISOString(),
        adminNotes: b.adminNotes ?? null,
        items: lines.map((it, j) => ({ id: j + 1, quantity: 1, ...it, total: Number(it.price) * Number(it.quantity ?? 1), type: 'other' })),
        total,
        currencyCode: client.currencyCode ?? 'USD',
      };
      fake.creditNotes.push(note);
      return { status: 201, json: note };
    }
    if (method === 'GET' && path === 'taxes') {
      checkQuery(query, []);
      return { status: 200, json: fake.taxes };
    }
    if ((m = /^webhook-events\/([^/]+)$/.exec(path)) && method === 'GET') {
      const e = fake.webhookEvents.find((w) => w.uuid === m![1]);
      if (!e) throw notFound();
      return { status: 200, json: e };
    }
    throw notFound();
  };

  const syncClientFlag = (clientId: string) => {
    const c = byId(fake.clients, clientId);
    if (c) c.hasSuspendedService = fake.services.some((s) => String(s.clientId) === clientId && s.status === 3);
  };

  const send = (res: ServerResponse, status: number, json?: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(json === undefined ? '' : JSON.stringify(json));
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const method = req.method ?? 'GET';
      const text = await readBody(req);
      if (url.pathname === '/crm/current-user') {
        const cookies = cookiesOf(req);
        const sid = cookies.get('PHPSESSID') ?? cookies.get('nms-crm-php-session-id');
        const user = sid ? fake.sessions.get(sid) : undefined;
        fake.requests.push({ method, path: 'current-user', query: url.searchParams, body: null });
        if (!user) return send(res, 403, { code: 403, message: 'Forbidden.' });
        return send(res, 200, user);
      }
      const prefix = '/crm/api/v1.0/';
      if (!url.pathname.startsWith(prefix)) return send(res, 404, ERRORS['404']);
      const path = url.pathname.slice(prefix.length);
      let body: unknown;
      if (text) {
        try {
          body = JSON.parse(text);
        } catch {
          return send(res, 400, ERRORS['400']);
        }
      }
      fake.requests.push({ method, path, query: url.searchParams, body });
      const key = req.headers['x-auth-app-key'];
      if (key !== fake.readKey && key !== fake.writeKey) return send(res, 401, ERRORS['401']);
      if (key === fake.readKey && method !== 'GET') return send(res, 403, { code: 403, message: 'Forbidden.' });
      if (failures && failures.left > 0) {
        failures.left--;
        return send(res, failures.status, { code: failures.status, message: failures.status === 429 ? 'Too Many Requests.' : 'Internal server error.' });
      }
      try {
        const out = await api(method, path, url.searchParams, body);
        send(res, out.status, out.json);
      } catch (err) {
        if (err instanceof HttpFailure) send(res, err.status, err.body);
        else send(res, 500, { code: 500, message: (err as Error).message });
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}/crm/`,
    failNext(status: number, count = 1) {
      failures = { status, left: count };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

/** The documented admin answer of /current-user (fixture), changed where given. */
export function adminUser(changes: Partial<CurrentUser> = {}): CurrentUser {
  return { ...fixture<CurrentUser>('current-user-admin.json'), ...changes };
}
