import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import { splynxSettingsSchema } from '../../../../plugin/host/config.js';
import type { HostCharge } from '../../../../plugin/host/platform.js';
import { SplynxHost } from '../../../../plugin/host/splynx/adapter.js';
import { SplynxClient, type SplynxAuthMode } from '../../../../plugin/host/splynx/client.js';
import { SplynxAuthError, SplynxInputError, SplynxUnavailableError } from '../../../../plugin/host/splynx/errors.js';
import { SplynxFake } from '../../../support/splynx-fake/server.js';

const noWait = async () => undefined;

function clientFor(fake: SplynxFake, auth: SplynxAuthMode = 'signature', extra: Partial<ConstructorParameters<typeof SplynxClient>[0]> = {}) {
  return new SplynxClient({ url: fake.url, apiKey: fake.apiKey, apiSecret: fake.apiSecret, auth, nowSeconds: () => fake.now, sleep: noWait, ...extra });
}

function hostFor(fake: SplynxFake, settings: Record<string, unknown> = {}, auth: SplynxAuthMode = 'token') {
  const s = splynxSettingsSchema.parse({ url: fake.url, apiKey: fake.apiKey, apiSecret: fake.apiSecret, auth, ...settings });
  return new SplynxHost({ client: clientFor(fake, auth), settings: s, currency: 'EUR', timezone: 'Europe/Berlin', now: () => new Date(fake.now * 1000) });
}

const charge = (key: string, over: Partial<HostCharge> = {}): HostCharge => ({
  key,
  customerExternalId: '2',
  serviceExternalId: '1',
  description: 'Data above allowance',
  quantity: '12.5',
  unit: 'GB',
  amountMinor: 1250n,
  taxPercent: '19',
  currency: 'EUR',
  date: '2026-03-01',
  periodFrom: '2026-02-01',
  periodTo: '2026-02-28',
  ...over,
});

async function raw(fake: SplynxFake, method: string, path: string, body?: unknown, auth?: string) {
  const res = await fetch(`${fake.url}/api/2.0/${path}`, { method, headers: { 'Content-Type': 'application/json', ...(auth ? { Authorization: auth } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

describe('the Splynx contract fake', () => {
  let fake: SplynxFake;
  beforeEach(async () => {
    fake = new SplynxFake();
    await fake.start();
  });
  afterEach(() => fake.stop());

  it('refuses a request signed with the wrong secret with 401 and the documented error body', async () => {
    const nonce = 100;
    const sig = createHmac('sha256', 'not-the-secret').update(`${nonce}${fake.apiKey}`).digest('hex').toUpperCase();
    const r = await raw(fake, 'GET', 'admin/customers/customer', undefined, `Splynx-EA (key=${fake.apiKey}&nonce=${nonce}&signature=${sig})`);
    expect(r.status).to.equal(401);
    expect(r.body.error).to.include({ code: 401, internal_code: 'UNAUTHORIZED' });
    expect(r.body.error.message).to.be.a('string');
  });

  it('refuses a request without Authorization with MISSED_AUTHORIZATION_HEADER', async () => {
    const r = await raw(fake, 'GET', 'admin/customers/customer');
    expect(r.status).to.equal(401);
    expect(r.body.error.internal_code).to.equal('MISSED_AUTHORIZATION_HEADER');
  });

  it('refuses a nonce that does not grow', async () => {
    const sig = (n: number) => createHmac('sha256', fake.apiSecret).update(`${n}${fake.apiKey}`).digest('hex').toUpperCase();
    const header = (n: number) => `Splynx-EA (key=${fake.apiKey}&nonce=${n}&signature=${sig(n)})`;
    expect((await raw(fake, 'GET', 'admin/customers/customer', undefined, header(500))).status).to.equal(200);
    expect((await raw(fake, 'GET', 'admin/customers/customer', undefined, header(500))).status).to.equal(401);
    expect((await raw(fake, 'GET', 'admin/customers/customer', undefined, header(499))).status).to.equal(401);
  });

  it('refuses an undocumented field in a POST with 422 INVALID_INPUT_DATA and creates nothing', async () => {
    const client = clientFor(fake);
    const err = await client.post('admin/finance/transactions', { type: 'debit', customer_id: 1, tax_percent: 0, date: '2026-03-01', category: '1', octet_key: 'x' }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(SplynxInputError);
    expect((err as SplynxInputError).status).to.equal(422);
    expect((err as SplynxInputError).internalCode).to.equal('INVALID_INPUT_DATA');
    expect(fake.transactions.size).to.equal(0);
  });

  it('refuses a customer status Splynx does not know', async () => {
    const err = await clientFor(fake).put('admin/customers/customer/1', { status: 'suspended' }).catch((e: unknown) => e);
    expect((err as SplynxInputError).status).to.equal(422);
    expect(fake.customers.get(1)!.status).to.equal('active');
  });

  it('answers the documented success codes: GET 200, POST 201, PUT 202, DELETE 204, HEAD 204 with X-total-count', async () => {
    const client = clientFor(fake);
    expect((await client.get('admin/customers/customer/1')).status).to.equal(200);
    const created = await client.post<{ id: number }>('admin/finance/transactions', { type: 'debit', customer_id: 1, tax_percent: 0, date: '2026-03-01', category: '1' });
    expect(created.status).to.equal(201);
    expect((await client.put(`admin/finance/transactions/${created.body.id}`, { description: 'New description' })).status).to.equal(202);
    expect(await client.count('admin/customers/customer')).to.equal(2);
    expect(await client.count('admin/customers/customer', { main_attributes: { status: 'active' } })).to.equal(1);
    expect((await client.delete(`admin/finance/transactions/${created.body.id}`)).status).to.equal(204);
    expect(fake.transactions.size).to.equal(0);
  });
});

describe('the Splynx client', () => {
  let fake: SplynxFake;
  beforeEach(async () => {
    fake = new SplynxFake();
    await fake.start();
  });
  afterEach(() => fake.stop());

  it('logs in once with a signed api_key token request and sends the access token afterwards', async () => {
    const client = clientFor(fake, 'token');
    await client.get('admin/customers/customer');
    await client.get('admin/customers/customer/1');
    expect(fake.requests.filter((r) => r.path === 'admin/auth/tokens').map((r) => r.status)).to.deep.equal([201]);
    expect(fake.requests.map((r) => r.status)).to.deep.equal([201, 200, 200]);
  });

  it('renews the access token with the refresh token when it is about to expire (30 minutes)', async () => {
    const client = clientFor(fake, 'token');
    await client.get('admin/customers/customer');
    fake.now += 1800 - 3;
    await client.get('admin/customers/customer');
    expect(fake.requests.map((r) => `${r.method} ${r.path.replace(/tokens\/\w+/, 'tokens/{refresh}')} ${r.status}`)).to.deep.equal([
      'POST admin/auth/tokens 201',
      'GET admin/customers/customer 200',
      'GET admin/auth/tokens/{refresh} 200',
      'GET admin/customers/customer 200',
    ]);
  });

  it('refuses an access token used with another User-Agent than the one that made it (USER_AGENT_CHANGED)', async () => {
    const nonce = 777;
    const signature = createHmac('sha256', fake.apiSecret).update(`${nonce}${fake.apiKey}`).digest('hex').toUpperCase();
    const made = await fetch(`${fake.url}/api/2.0/admin/auth/tokens`, {
      method: 'POST',
      headers: { 'User-Agent': 'one', 'Content-Type': 'application/json' },
      body: JSON.stringify({ auth_type: 'api_key', key: fake.apiKey, signature, nonce }),
    });
    expect(made.status).to.equal(201);
    const { access_token: token } = (await made.json()) as { access_token: string };
    const use = (ua: string) => fetch(`${fake.url}/api/2.0/admin/customers/customer`, { headers: { 'User-Agent': ua, Authorization: `Splynx-EA (access_token=${token})` } });
    expect((await use('one')).status).to.equal(200);
    const other = await use('two');
    expect(other.status).to.equal(401);
    expect(((await other.json()) as { error: { internal_code: string } }).error.internal_code).to.equal('USER_AGENT_CHANGED');
  });

  it('logs in again when the server says the token expired early', async () => {
    const client = clientFor(fake, 'token');
    await client.get('admin/customers/customer');
    fake.now += 1700; // client thinks the token has 100 s left; the fake's clock says so too, so expire it server-side
    (fake as unknown as { tokens: Map<string, { accessExp: number }> }).tokens.forEach((t) => (t.accessExp = fake.now));
    const r = await client.get<unknown[]>('admin/customers/customer');
    expect(r.body).to.have.length(2);
    expect(fake.requests.map((q) => `${q.method} ${q.path} ${q.status}`).slice(-3)).to.deep.equal(['GET admin/customers/customer 401', 'POST admin/auth/tokens 201', 'GET admin/customers/customer 200']);
  });

  it('retries 429 and 500 on a read with backoff and counts the retries', async () => {
    fake.fault({ status: 429, method: 'GET', path: 'admin/customers/customer', times: 1, retryAfter: 1 });
    fake.fault({ status: 500, method: 'GET', path: 'admin/customers/customer', times: 1 });
    const waits: number[] = [];
    const client = clientFor(fake, 'signature', { sleep: async (ms) => void waits.push(ms) });
    const r = await client.get<unknown[]>('admin/customers/customer');
    expect(r.body).to.have.length(2);
    expect(client.stats.retries).to.equal(2);
    expect(waits).to.deep.equal([1000, 500]);
  });

  it('gives up after its attempts with a retryable error that names the path, not the key', async () => {
    fake.fault({ status: 503, times: 10 });
    const client = clientFor(fake, 'signature', { retry: { attempts: 3, baseMs: 1, maxMs: 1 } });
    const err = (await client.get('admin/customers/customer').catch((e: unknown) => e)) as SplynxUnavailableError;
    expect(err).to.be.instanceOf(SplynxUnavailableError);
    expect(err.message).to.contain('admin/customers/customer').and.not.contain(fake.apiKey).and.not.contain(fake.apiSecret);
    expect(fake.requests).to.have.length(3);
  });

  it('does not repeat a POST answered 500 (it may have been applied)', async () => {
    fake.fault({ status: 500, method: 'POST', times: 1 });
    const client = clientFor(fake);
    const err = await client.post('admin/finance/transactions', { type: 'debit', customer_id: 1, tax_percent: 0, date: '2026-03-01', category: '1' }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(SplynxUnavailableError);
    expect(fake.requests.filter((r) => r.method === 'POST')).to.have.length(1);
  });
});

describe('the Splynx host adapter', () => {
  let fake: SplynxFake;
  beforeEach(async () => {
    fake = new SplynxFake();
    await fake.start();
  });
  afterEach(() => fake.stop());

  it('lists customers page by page in id order and ends with a cursor for the next, incremental pass', async () => {
    for (let i = 3; i <= 7; i++) fake.put(fake.customers, { id: i, name: `C${i}`, status: 'active', last_update: '2016-01-01 10:00:00' });
    const host = hostFor(fake, { pageSize: 2 });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    let resume: string | null | undefined;
    do {
      const page = await host.listCustomers({ cursor });
      seen.push(...page.items.map((c) => c.externalId));
      cursor = page.nextCursor;
      resume = page.resumeFrom;
      pages++;
    } while (cursor);
    expect(seen).to.deep.equal(['1', '2', '3', '4', '5', '6', '7']);
    expect(pages).to.equal(4);
    fake.put(fake.customers, { id: 4, name: 'C4 renamed', status: 'blocked', last_update: '2099-01-01 00:00:00' });
    const next = await host.listCustomers({ cursor: resume });
    expect(next.items.map((c) => [c.externalId, c.name, c.status])).to.deep.equal([['4', 'C4 renamed', 'blocked']]);
  });

  it('lists internet services with their tariff title and login', async () => {
    const page = await hostFor(fake).listServices({});
    expect(page.items).to.deep.equal([
      { externalId: '1', customerExternalId: '2', login: 'john_doe_main', tariffExternalId: '1', tariffName: 'Aplha', startDate: '2016-01-01', endDate: null, status: 'active', hostStatus: 'active' },
    ]);
  });

  it('posts a charge as a debit transaction once, even when posted twice', async () => {
    const host = hostFor(fake);
    const [a] = await host.postCharges([charge('octet:inv:1:0')]);
    const [b] = await host.postCharges([charge('octet:inv:1:0')]);
    expect(a).to.deep.equal({ key: 'octet:inv:1:0', externalId: '1', duplicate: false });
    expect(b).to.deep.equal({ key: 'octet:inv:1:0', externalId: '1', duplicate: true });
    expect([...fake.transactions.values()].map((t) => [t.type, t.customer_id, t.price, t.tax_percent, t.comment, t.service_id, t.description])).to.deep.equal([
      ['debit', '2', '12.50', '19', 'octet:inv:1:0', '1', 'Data above allowance (12.5 GB)'],
    ]);
  });

  it('posts a charge whose answer was lost once: it looks the key up before posting again', async () => {
    fake.fault({ status: 'drop', method: 'POST', path: 'admin/finance/transactions', times: 1 });
    const [p] = await hostFor(fake).postCharges([charge('octet:inv:9:0')]);
    expect(p!.duplicate).to.equal(true);
    expect(fake.transactions.size).to.equal(1);
  });

  it('posts the lines of one Octet invoice as one Splynx invoice when charges are invoices', async () => {
    const host = hostFor(fake, { charges: 'invoices' });
    const doc = { key: 'octet:inv:5', number: 'INV-000005', issueDate: '2026-03-01', dueDate: '2026-03-15' };
    const lines = [charge('octet:inv:5:0', { document: doc }), charge('octet:inv:5:1', { document: doc, amountMinor: 300n, description: 'Static IP', unit: null })];
    const first = await host.postCharges(lines);
    const again = await host.postCharges(lines);
    expect(first.map((p) => [p.key, p.externalId, p.duplicate])).to.deep.equal([
      ['octet:inv:5:0', '1', false],
      ['octet:inv:5:1', '1', false],
    ]);
    expect(again.every((p) => p.duplicate)).to.equal(true);
    expect(fake.invoices.size).to.equal(1);
    const inv = fake.invoices.get(1)!;
    expect(inv).to.include({ number: 'INV-000005', memo: 'octet:inv:5', status: 'not_paid', date_till: '2026-03-15', customer_id: '2' });
    expect((inv.items as Array<Record<string, unknown>>).map((i) => [i.description, i.price])).to.deep.equal([
      ['Data above allowance (12.5 GB)', '12.50'],
      ['Static IP', '3.00'],
    ]);
  });

  it('reads payments after a cursor in minor units, and resumes after the last one', async () => {
    const host = hostFor(fake);
    const first = await host.readPayments({});
    expect(first.items).to.deep.equal([{ externalId: '1', customerExternalId: '1', amountMinor: 15825n, currency: 'EUR', date: '2016-01-01', invoiceExternalId: null, reference: '000001' }]);
    fake.put(fake.payments, { id: 2, customer_id: 2, amount: '10.0000', date: '2026-03-02', receipt_number: 'R2', payment_type: '1' });
    const second = await host.readPayments({ cursor: first.resumeFrom });
    expect(second.items.map((p) => p.externalId)).to.deep.equal(['2']);
  });

  it('blocks and unblocks a customer through its status', async () => {
    const host = hostFor(fake);
    await host.setBlocking({ customerExternalId: '1' }, 'blocked', 'overdue');
    expect(fake.customers.get(1)!.status).to.equal('blocked');
    expect(await host.getBlocking({ customerExternalId: '1' })).to.equal('blocked');
    await host.setBlocking({ customerExternalId: '1' }, 'active', 'paid');
    expect(await host.getBlocking({ customerExternalId: '1' })).to.equal('active');
  });

  it('resolves an admin session hash to the Splynx administrator and the mapped Octet role', async () => {
    fake.sessions.set('5f4dcc3b5aa765d61d8327deb882cf99', 1);
    fake.put(fake.administrators, { id: 2, partner_id: 1, role_name: 'accountant', login: 'acc', name: 'Ada Accountant', email: 'ada@isp.example' });
    fake.sessions.set('acc0acc0acc0acc0', 2);
    const host = hostFor(fake);
    expect(await host.identifyStaff({ query: { sash: '5f4dcc3b5aa765d61d8327deb882cf99' }, headers: {} })).to.deep.equal({ externalId: '1', name: 'Main', email: 'main@email.com', hostRole: 'administrator', octetRole: 'admin' });
    expect((await host.identifyStaff({ query: { sash: 'acc0acc0acc0acc0' }, headers: {} }))?.octetRole).to.equal('billing');
  });

  it('resolves an unknown or malformed session hash to nobody', async () => {
    const host = hostFor(fake);
    expect(await host.identifyStaff({ query: { sash: 'ffffffffffffffff' }, headers: {} })).to.equal(null);
    expect(await host.identifyStaff({ query: { sash: 'x"; DROP' }, headers: {} })).to.equal(null);
    expect(await host.identifyStaff({ query: {}, headers: {} })).to.equal(null);
  });

  it('surfaces a wrong API secret as an auth error', async () => {
    const s = splynxSettingsSchema.parse({ url: fake.url, apiKey: fake.apiKey, apiSecret: 'wrong', auth: 'signature' });
    const host = new SplynxHost({ client: new SplynxClient({ url: fake.url, apiKey: fake.apiKey, apiSecret: 'wrong', auth: 'signature', sleep: noWait }), settings: s, currency: 'EUR', timezone: 'UTC', now: () => new Date() });
    expect(await host.listCustomers({}).catch((e: unknown) => e)).to.be.instanceOf(SplynxAuthError);
  });
});
