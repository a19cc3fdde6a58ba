import { expect } from 'chai';
import type { Account } from '../../../../plugin/subscribers/accounts.repository.js';
import type { AccountFields } from '../../../../plugin/subscribers/validation.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';

const ACCOUNTS = 1200;

/**
 * Account i gets one service, by i % 4, against March 2026 ([03-01, 04-01) in local dates):
 * 0 running since January (in), 1 starting on March 31st (in), 2 ended on February 28th (out),
 * 3 starting on April 1st (out). Every 100th account also has a second service that ended on
 * March 1st (in: its last day is in March).
 */
function fieldsOf(i: number): AccountFields {
  return {
    externalId: `B-${i}`, name: `Billable ${i}`, email: `b${i}@example.net`, phone: null, addressLine1: `${i} Main St`, addressLine2: null, city: 'Berlin',
    postalCode: '10115', country: 'DE', taxId: null, taxExempt: i % 7 === 0, taxExemptReason: i % 7 === 0 ? 'Diplomatic mission' : null, taxName: i % 5 === 0 ? 'MwSt' : null,
    taxPercent: i % 5 === 0 ? '7' : null, paymentTermsDays: i % 3 === 0 ? 30 : null, billingEmail: null, currency: 'EUR', status: 'active',
  };
}

forEachDatabase('the billing port of subscribers', (dialect) => {
  let plugin: TestPlugin;
  const idOf = new Map<number, number>(); // i -> account id
  let queries = 0;

  async function counted<T>(fn: () => Promise<T>): Promise<{ value: T; queries: number }> {
    const before = queries;
    const value = await fn();
    return { value, queries: queries - before };
  }

  before(async function () {
    this.timeout(120_000);
    plugin = await createTestPlugin(dialect, { config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin' } as never } });
    await plugin.services.tariffs.catalogue.create({ code: 'home-100', name: 'Home 100', currency: 'EUR', recurringFee: '10.00' }, 'test');
    await plugin.services.tariffs.catalogue.create({ code: 'home-200', name: 'Home 200', currency: 'EUR', recurringFee: '20.00' }, 'test');
    const { subscribers } = plugin.services.subscribers;
    const list = Array.from({ length: ACCOUNTS }, (_, k) => fieldsOf(k + 1));
    const ended: Array<{ login: string; endDate: string }> = [];
    await plugin.ctx.db.transaction(async (t) => {
      const created = await subscribers.insertAccounts(list, 'test', t);
      const items: Array<{ account: Account; fields: Parameters<typeof subscribers.insertServices>[0][number]['fields'] }> = [];
      for (let i = 1; i <= ACCOUNTS; i++) {
        const account = created.get(`B-${i}`)!;
        idOf.set(i, account.id);
        const startDate = ['2026-01-01', '2026-03-31', '2025-01-01', '2026-04-01'][i % 4]!;
        items.push({ account, fields: { login: `b-${i}`, tariff: 'home-100', nasName: null, startDate, status: 'active' } });
        if (i % 4 === 2) ended.push({ login: `b-${i}`, endDate: '2026-02-28' });
        if (i % 100 === 0) {
          items.push({ account, fields: { login: `b-${i}-old`, tariff: null, nasName: null, startDate: '2025-06-01', status: 'active' } });
          ended.push({ login: `b-${i}-old`, endDate: '2026-03-01' });
        }
      }
      await subscribers.insertServices(items, 'test', t);
    });
    for (const e of ended) {
      await plugin.ctx.models.Service.update({ status: 'ended', endDate: e.endDate, liveLogin: null }, { where: { login: e.login } });
    }
    plugin.ctx.db.sequelize.addHook('beforeQuery', 'count-queries', () => void queries++);
  });
  after(async () => plugin?.close());

  it('lists the accounts with a service in the period, by id, page after page, each once', async () => {
    const { billing } = plugin.services.subscribers;
    const want = [...idOf.entries()].filter(([i]) => i % 4 === 0 || i % 4 === 1 || i % 100 === 0).map(([, id]) => id).sort((a, b) => a - b);
    const got: number[] = [];
    const pages: number[] = [];
    let after = 0;
    for (;;) {
      const { value: page, queries: q } = await counted(() => billing.billableAccounts('2026-03-01', '2026-04-01', after, 500));
      expect(q).to.equal(1);
      if (!page.length) break;
      pages.push(page.length);
      got.push(...page);
      after = page[page.length - 1]!;
    }
    expect(pages).to.deep.equal([500, 100]);
    expect(got).to.deep.equal(want);
  });

  it('counts a service on its last day and its first day, not the day after it ends or before it starts', async () => {
    const { billing } = plugin.services.subscribers;
    const inMarch = new Set(await billing.billableAccounts('2026-03-01', '2026-04-01', 0, 10_000));
    expect(inMarch.has(idOf.get(1)!), 'starts on March 31st').to.equal(true);
    expect(inMarch.has(idOf.get(3)!), 'starts on April 1st').to.equal(false);
    expect(inMarch.has(idOf.get(2)!), 'ended on February 28th').to.equal(false);
    expect(inMarch.has(idOf.get(4)!), 'running').to.equal(true);
    // Account 200 (i % 4 = 0) is in anyway; account 100 ends its second service on March 1st only.
    const onlyMarchFirst = new Set(await billing.billableAccounts('2026-03-01', '2026-03-02', 0, 10_000));
    expect(onlyMarchFirst.has(idOf.get(100)!)).to.equal(true);
    expect(onlyMarchFirst.has(idOf.get(1)!)).to.equal(false);
    const april = new Set(await billing.billableAccounts('2026-04-01', '2026-05-01', 0, 10_000));
    expect(april.has(idOf.get(3)!)).to.equal(true);
    expect(april.has(idOf.get(2)!)).to.equal(false);
  });

  it('reads 500 profiles in one query, and all 1,200 in three', async () => {
    const { billing } = plugin.services.subscribers;
    const ids = [...idOf.values()];
    const half = await counted(() => billing.profiles(ids.slice(0, 500)));
    expect(half.queries).to.equal(1);
    expect(half.value.size).to.equal(500);
    const all = await counted(() => billing.profiles(ids));
    expect(all.queries).to.equal(3);
    expect(all.value.size).to.equal(ACCOUNTS);
    expect(all.value.get(idOf.get(35)!)).to.deep.include({
      accountId: idOf.get(35), externalId: 'B-35', name: 'Billable 35', email: 'b35@example.net', billingEmail: null, addressLines: ['35 Main St', '10115 Berlin', 'DE'],
      currency: 'EUR', tax: { kind: 'exempt', reason: 'Diplomatic mission' }, paymentTermsDays: null, status: 'active',
    });
    expect(all.value.get(idOf.get(15)!)!.tax).to.deep.equal({ kind: 'rate', name: 'MwSt', percent: '7' });
    expect(all.value.get(idOf.get(15)!)!.paymentTermsDays).to.equal(30);
    expect(all.value.get(idOf.get(1)!)!.tax).to.deep.equal({ kind: 'rate', name: null, percent: null });
  });

  it('reads 500 accounts\' services with their tariff histories in two queries, oldest entry first', async () => {
    const { billing, subscribers } = plugin.services.subscribers;
    const accountId = idOf.get(4)!;
    const [service] = (await billing.services([accountId])).get(accountId)!;
    await subscribers.updateService(service!.id, { tariff: 'home-200', tariffFrom: '2026-03-15' }, 'test');
    const ids = [...idOf.values()].slice(0, 500);
    const read = await counted(() => billing.services(ids));
    expect(read.queries).to.equal(2);
    expect(read.value.size).to.equal(500);
    expect(read.value.get(accountId)).to.deep.equal([
      {
        id: service!.id, accountId, login: 'b-4', status: 'active', startDate: '2026-01-01', endDate: null,
        tariffs: [
          { code: 'home-100', fromMs: Date.parse('2025-12-31T23:00:00Z') },
          { code: 'home-200', fromMs: Date.parse('2026-03-14T23:00:00Z') },
        ],
        // Entered at the test clock's time, which stands still.
        createdAtMs: plugin.clock.now().getTime(),
      },
    ]);
    const withOld = read.value.get(idOf.get(100)!)!;
    expect(withOld.map((s) => [s.login, s.status, s.endDate, s.tariffs.length])).to.deep.equal([
      ['b-100', 'active', null, 1],
      ['b-100-old', 'ended', '2026-03-01', 0],
    ]);
    expect(await billing.currentTariff(service!.id)).to.equal('home-200');
  });
});
