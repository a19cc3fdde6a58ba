import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import type { ManualClock } from '../../../../plugin/common/clock.js';
import { sqlTime, valuesPlaceholders } from '../../../../plugin/db/sql.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';

const GB = 1_000_000_000n;

/** 100 GB included, 0.50 per GB above. */
const fibre = {
  code: 'FIBRE-100', name: 'Fibre 100', currency: 'EUR', recurringFee: '30.00',
  usage: { direction: 'both', unit: 'GB', includedUnits: '100', charge: { model: 'per_unit', unitPrice: '0.50' } },
};

/**
 * Late usage on a discounted service: the adjustment carries the discount the window earns now,
 * less what was already given for it, across several late reports and a move away; the window's
 * net (usage less discount) always ends up what its usage now costs less the discount it now earns.
 */
forEachDatabase('late usage on a discounted service', (dialect) => {
  let plugin: TestPlugin;
  let clock: ManualClock;
  let alice: { accountId: number; serviceId: number };

  const q = <T extends object>(sql: string, replacements: unknown[] = []) => plugin.ctx.db.sequelize.query<T>(sql, { replacements, type: QueryTypes.SELECT });
  const t = (iso: string) => sqlTime(plugin.ctx.db.dialect, Date.parse(iso));
  async function usage(fromIso: string, hours: number, perHour: bigint) {
    const rows: unknown[] = [];
    for (let h = 0; h < hours; h++) rows.push('alice', t(new Date(Date.parse(fromIso) + h * 3_600_000).toISOString()), alice.serviceId, 'radius', perHour.toString(), '0', t(fromIso));
    for (let i = 0; i < rows.length; i += 7 * 500) {
      const part = rows.slice(i, i + 7 * 500);
      await plugin.ctx.db.sequelize.query(`INSERT INTO usage_hourly (login, hour_start, service_id, source, download, upload, updated_at) VALUES ${valuesPlaceholders(part.length / 7, 7)}`, { replacements: part });
    }
  }
  /** Bytes reported late (or taken away, negative) for the hour of 20 November 10:00 UTC, marking the billed window changed as every writer of usage does. */
  async function late(bytes: bigint) {
    await plugin.ctx.db.sequelize.query('UPDATE usage_hourly SET download = download + ? WHERE login = ? AND hour_start = ?', { replacements: [bytes.toString(), 'alice', t('2026-11-20T10:00:00Z')] });
    await plugin.ctx.db.sequelize.query('UPDATE usage_billed_periods SET dirty = 1 WHERE service_id = ?', { replacements: [alice.serviceId] });
  }
  async function bill(iso: string, key: string) {
    clock.set(iso);
    await plugin.services.invoicing.billing.run(key, { dryRun: false, by: 'user:1' });
    const docs = (await plugin.services.invoicing.invoices.list({ accountId: alice.accountId, periodKey: `${key}-01` })).rows;
    return Promise.all(docs.map(async (d) => ({ type: d.type, totalMinor: d.totalMinor, lines: (await plugin.services.invoicing.invoices.snapshot(d.id)).document.lines })));
  }
  const novemberLines = (lines: Array<{ kind: string; amountMinor: bigint; fromMs: number; reduces?: number }>) =>
    lines.filter((l) => l.fromMs === Date.parse('2026-10-31T23:00:00Z') && l.kind !== 'recurring_fee').map((l) => [l.kind, l.amountMinor, l.reduces ?? null]);

  before(async () => {
    plugin = await createTestPlugin(dialect, { config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin', tax: { name: 'VAT', percent: '19' }, schedule: { enabled: false } } } });
    clock = plugin.clock as ManualClock;
    clock.set('2026-09-20T10:00:00Z');
    await plugin.services.tariffs.catalogue.create(fibre, 'user:1');
    const { subscribers } = plugin.services.subscribers;
    const a = await subscribers.createAccount({ name: 'Alice Example', currency: 'EUR' }, 'user:1');
    alice = { accountId: a.id, serviceId: (await subscribers.createService(a.id, { login: 'alice', tariff: 'FIBRE-100', startDate: '2026-11-01' }, 'user:1')).id };
    await plugin.services.tariffs.discounts.add(a.id, { serviceId: alice.serviceId, code: 'LOYAL', description: 'Loyalty', appliesTo: 'usage', percent: '10' }, 'user:1');
    // November in Berlin: 720 hours from 2026-10-31T23:00Z, 150 GB in all.
    await usage('2026-10-31T23:00:00Z', 720, (150n * GB) / 720n);
    await late(150n * GB - ((150n * GB) / 720n) * 720n);
  });
  after(async () => plugin?.close());

  it('bills November on the December invoice: 50 GB above the allowance, 25.00, less 10% (2.50)', async () => {
    const [dec] = await bill('2026-12-01T05:00:00Z', '2026-12');
    expect(novemberLines(dec!.lines)).to.deep.equal([['usage', 2500n, null], ['discount', -250n, -1]]);
  });

  it('10 GB reported late: a 5.00 adjustment on the January invoice with its own 0.50 discount, VAT on the net of the pair', async () => {
    await late(10n * GB);
    const docs = await bill('2027-01-01T05:00:00Z', '2027-01');
    expect(docs.map((d) => d.type)).to.deep.equal(['invoice']);
    const lines = docs[0]!.lines;
    expect(novemberLines(lines)).to.deep.equal([['adjustment', 500n, null], ['discount', -50n, -1]]);
    expect(lines.find((l) => l.kind === 'discount')!.description).to.equal('alice: Discount LOYAL, Loyalty (10%) on usage adjustment for 2026-11-01 – 2026-11-30 (10.00 GB reported late)');
    // January's fee 30.00 and December's usage (none above the allowance) with it: 30.00 + 4.50 net, 19% VAT.
    expect(docs[0]!.totalMinor).to.equal(((3000n + 450n) * 119n + 50n) / 100n);
  });

  it('4 GB more, later still: the discount given so far (2.50 and 0.50, read from the issued documents) is not given again', async () => {
    await late(4n * GB);
    const [feb] = await bill('2027-02-01T05:00:00Z', '2027-02');
    // 164 GB now: 32.00, 10% of it 3.20; 3.00 given so far, so 0.20 more.
    expect(novemberLines(feb!.lines)).to.deep.equal([['adjustment', 200n, null], ['discount', -20n, -1]]);
  });

  it('20 GB moved away: the credit note gives back 10.00 less the 1.00 of discount no longer earned', async () => {
    await late(-20n * GB);
    const docs = await bill('2027-03-01T05:00:00Z', '2027-03');
    const credit = docs.find((d) => d.type === 'credit_note')!;
    // 144 GB now: 22.00, less 2.20. Charged 32.00 less 3.20 so far: 10.00 back, less 1.00.
    expect(novemberLines(credit.lines)).to.deep.equal([['adjustment', 1000n, null], ['discount', -100n, -1]]);
    expect(credit.lines[1]!.description).to.equal('alice: Discount LOYAL, Loyalty (10%) no longer earned on usage adjustment for 2026-11-01 – 2026-11-30 (20.00 GB moved away)');
    expect(credit.totalMinor).to.equal(1071n);
  });

  it('over every document, November is charged 22.00 and discounted 2.20: what 144 GB cost now, less 10%; reconciliation finds nothing', async () => {
    const rows = await q<{ type: string; kind: string; s: string }>(
      `SELECT i.type, l.kind, CAST(SUM(l.amount_minor) AS CHAR) AS s FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
        WHERE l.service_id = ? AND l.from_time = ? AND l.kind IN ('usage', 'adjustment', 'discount') GROUP BY i.type, l.kind`,
      [alice.serviceId, t('2026-10-31T23:00:00Z')],
    );
    const net = (kinds: string[]) => rows.filter((r) => kinds.includes(r.kind)).reduce((s, r) => s + (r.type === 'credit_note' ? -1n : 1n) * BigInt(r.s), 0n);
    expect([net(['usage', 'adjustment']), net(['discount'])]).to.deep.equal([2200n, -220n]);
    const rec = await plugin.services.invoicing.billing.reconcile('2026-12');
    expect(rec.differences).to.deep.equal([]);
  });
});
