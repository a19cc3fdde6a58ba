import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { nullLogger } from '../../../../../plugin/common/logger.js';
import type { HostCharge } from '../../../../../plugin/host/platform.js';
import { signAssertion, uispSettingsSchema, UispPlatform, type AssertionPayload } from '../../../../../plugin/host/uisp/index.js';
import { startUispFake, type UispFake } from '../../../../support/uisp-fake/server.js';

const SIGNING_KEY = 'k'.repeat(40);
const NOW = 1_790_000_000;

describe('the UISP CRM host platform against the contract fake', () => {
  let crm: UispFake;
  let now: number;
  const platform = (over: Record<string, unknown> = {}) =>
    new UispPlatform({
      settings: uispSettingsSchema.parse({ url: crm.url, appKey: crm.writeKey, appKeyType: 'write', signingKey: SIGNING_KEY, roleMap: { 'Admin Group': 'admin', Billing: 'billing' }, retries: 0, ...over }),
      logger: nullLogger,
      nowSeconds: () => now,
    });

  beforeEach(async () => {
    crm = await startUispFake();
    now = NOW;
  });
  afterEach(async () => crm.close());

  describe('clients and services', () => {
    it('maps the documented example client to a customer: name, billing e-mail, active', async () => {
      const page = await platform().listCustomers();
      expect(page.items).to.deep.equal([{ externalId: '1000', name: 'John Doe', email: 'john.doe@example.com', phone: null, status: 'active', hostStatus: 'active' }]);
      expect(page.nextCursor).to.equal(null);
    });

    it('pages clients by offset: a full page gives a cursor, the last one none', async () => {
      crm.clients.push({ ...crm.clients[0]!, id: 1001, hasSuspendedService: true }, { ...crm.clients[0]!, id: 1002, isLead: true });
      const p = platform();
      const first = await p.listCustomers({ limit: 2 });
      expect(first.items.map((c) => c.externalId)).to.deep.equal(['1000', '1001']);
      expect(first.items[1]!.status).to.equal('blocked');
      const second = await p.listCustomers({ limit: 2, cursor: first.nextCursor });
      expect(second.items.map((c) => [c.externalId, c.status])).to.deep.equal([['1002', 'new']]);
      expect(second.nextCursor).to.equal(null);
    });

    it('answers null for a client the CRM does not know', async () => {
      expect(await platform().getCustomer('424242')).to.equal(null);
      expect(await platform().getCustomer('1000')).to.include({ name: 'John Doe' });
    });

    it("reads a client's services with their login from the configured custom attribute", async () => {
      const page = await platform().listServices({ customerExternalId: '1000' });
      expect(page.items).to.deep.equal([
        { externalId: '1', customerExternalId: '1000', login: 'john.doe@pppoe', tariffExternalId: '3', tariffName: 'Maxi', startDate: '2016-09-12', endDate: '2017-09-12', status: 'active', hostStatus: 'active' },
      ]);
      const other = await platform({ loginAttribute: 'radiusUser' }).listServices({ customerExternalId: '1000' });
      expect(other.items[0]!.login).to.equal(null);
    });
  });

  describe('suspension', () => {
    it('suspends a service with the configured reason and cancels the suspension, reading the state back', async () => {
      const p = platform({ suspensionReasonId: 1000 });
      const target = { customerExternalId: '1000', serviceExternalId: '1' };
      await p.setBlocking(target, 'blocked', 'overdue');
      expect(crm.services[0]).to.include({ status: 3, suspensionReasonId: 1000 });
      expect(await p.getBlocking(target)).to.equal('blocked');
      expect(await p.getBlocking({ customerExternalId: '1000' })).to.equal('blocked');
      await p.setBlocking(target, 'active', 'paid');
      expect(crm.services[0]!.status).to.equal(1);
      expect(await p.getBlocking(target)).to.equal('active');
    });

    it('leaves a service already in the wanted state alone (no PATCH the CRM would refuse)', async () => {
      await platform().setBlocking({ customerExternalId: '1000' }, 'active', 'paid');
      expect(crm.requests.filter((r) => r.method === 'PATCH')).to.have.length(0);
    });

    it("refuses to suspend a service of another client and changes nothing", async () => {
      const err = await platform().setBlocking({ customerExternalId: '2000', serviceExternalId: '1' }, 'blocked', 'x').catch((e: unknown) => e);
      expect((err as Error).message).to.contain('belongs to client 1000');
      expect(crm.services[0]!.status).to.equal(1);
    });
  });

  describe('charges and payments', () => {
    const charge = (over: Partial<HostCharge> = {}): HostCharge => ({
      key: 'octet:inv:7:1', customerExternalId: '1000', serviceExternalId: '1', description: 'Data over allowance', quantity: '12.5', unit: 'GB',
      amountMinor: 1875n, taxPercent: '10', currency: 'USD', date: '2026-03-01', periodFrom: '2026-02-01', periodTo: '2026-03-01', ...over,
    });

    it('posts a charge as a CRM invoice with its total, the CRM tax of the same rate and the key in the admin notes', async () => {
      const [posted] = await platform().postCharges([charge()]);
      expect(posted).to.deep.equal({ key: 'octet:inv:7:1', externalId: '1', duplicate: false });
      expect(crm.invoices[0]).to.deep.include({ clientId: 1000, adminNotes: 'octet-charge:charge:octet:inv:7:1', createdDate: '2026-03-01T00:00:00+0000' });
      expect(crm.invoices[0]!.items).to.deep.equal([{ label: 'Data over allowance (12.5 GB)', price: 18.75, quantity: 1, unit: 'GB', tax1Id: 1 }]);
    });

    it('finds a charge posted before and does not post it again', async () => {
      const p = platform();
      await p.postCharges([charge()]);
      const [again] = await p.postCharges([charge()]);
      expect(again).to.deep.equal({ key: 'octet:inv:7:1', externalId: '1', duplicate: true });
      expect(crm.invoices).to.have.length(1);
    });

    it("posts the charges of one Octet invoice as one CRM invoice, found again by the document's key", async () => {
      const document = { key: 'octet:inv:7', number: 'INV-000007', issueDate: '2026-03-01', dueDate: '2026-03-15' };
      const p = platform();
      const lines = [charge({ key: 'octet:inv:7:1', document }), charge({ key: 'octet:inv:7:2', description: 'Night band', quantity: '3', amountMinor: 300n, taxPercent: '0', document })];
      const posted = await p.postCharges(lines);
      expect(posted.map((x) => [x.key, x.externalId, x.duplicate])).to.deep.equal([['octet:inv:7:1', '1', false], ['octet:inv:7:2', '1', false]]);
      expect(crm.invoices).to.have.length(1);
      expect(crm.invoices[0]).to.deep.include({ adminNotes: 'octet-charge:doc:octet:inv:7', notes: 'Octet invoice INV-000007', maturityDays: 14 });
      expect((crm.invoices[0]!.items as unknown[]).length).to.equal(2);
      expect((await p.postCharges(lines)).every((x) => x.duplicate && x.externalId === '1')).to.equal(true);
      expect(crm.invoices).to.have.length(1);
    });

    it('refuses a tax rate the CRM has no tax for, posting nothing', async () => {
      const err = await platform().postCharges([charge({ taxPercent: '19' })]).catch((e: unknown) => e);
      expect((err as Error).message).to.contain('no tax of 19%');
      expect(crm.invoices).to.have.length(0);
    });

    it('reads payments oldest first in integer minor units, resuming after its cursor', async () => {
      crm.payments.push({ ...crm.payments[0]!, id: 2, amount: 0.1, createdDate: '2016-09-13T00:00:00+0000', paymentCovers: [] }, { ...crm.payments[0]!, id: 3, amount: 1234567.89 });
      const p = platform();
      const first = await p.readPayments({ limit: 2 });
      expect(first.items.map((x) => [x.externalId, x.amountMinor, x.invoiceExternalId])).to.deep.equal([['1', 1000n, '1'], ['2', 10n, null]]);
      const second = await p.readPayments({ limit: 2, cursor: first.nextCursor });
      expect(second.items.map((x) => [x.externalId, x.amountMinor])).to.deep.equal([['3', 123456789n]]);
      expect(second.nextCursor).to.equal(null);
      // The next pass starts where this one ended: only a payment added since comes back.
      crm.payments.push({ ...crm.payments[0]!, id: 4, amount: 5 });
      const next = await p.readPayments({ limit: 2, cursor: second.resumeFrom });
      expect(next.items.map((x) => x.externalId)).to.deep.equal(['4']);
    });
  });

  describe('staff from a signed page assertion', () => {
    const payload = (over: Partial<AssertionPayload> = {}): AssertionPayload => ({ v: 1, aud: 'octet/uisp', userId: 1, username: 'admin', userGroup: 'Admin Group', iat: NOW, exp: NOW + 60, nonce: randomBytes(16).toString('hex'), ...over });
    const identify = (p: UispPlatform, token: string) => p.identifyStaff({ query: { sash: token }, headers: {} });

    it('accepts a valid assertion once and maps the user group to a role', async () => {
      const p = platform();
      const token = signAssertion(payload(), SIGNING_KEY);
      expect(await identify(p, token)).to.deep.equal({ externalId: '1', name: 'admin', email: null, hostRole: 'Admin Group', octetRole: 'admin' });
      expect(await identify(p, token)).to.equal(null);
    });

    it('refuses an expired assertion, one signed with another key, one valid for too long, and none at all', async () => {
      const p = platform();
      now = NOW + 61;
      expect(await identify(p, signAssertion(payload(), SIGNING_KEY))).to.equal(null);
      now = NOW;
      expect(await identify(p, signAssertion(payload(), 'x'.repeat(40)))).to.equal(null);
      expect(await identify(p, signAssertion(payload({ exp: NOW + 3600 }), SIGNING_KEY))).to.equal(null);
      expect(await p.identifyStaff({ query: {}, headers: {} })).to.equal(null);
    });

    it('refuses a user group without a role unless a default role is set', async () => {
      expect(await identify(platform(), signAssertion(payload({ userGroup: 'Technicians' }), SIGNING_KEY))).to.equal(null);
      const withDefault = await identify(platform({ defaultRole: 'readonly' }), signAssertion(payload({ userGroup: 'Technicians' }), SIGNING_KEY));
      expect(withDefault?.octetRole).to.equal('readonly');
    });
  });
});
