import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import type { ManualClock } from '../../../../plugin/common/clock.js';
import { sqlTime, valuesPlaceholders } from '../../../../plugin/db/sql.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';

const GB = 1_000_000_000n;

const fibre = {
  code: 'FIBRE-100', name: 'Fibre 100', currency: 'EUR', recurringFee: '30.00',
  usage: { direction: 'both', unit: 'GB', includedUnits: '100', charge: { model: 'per_unit', unitPrice: '0.50' } },
};

forEachDatabase('billing run', (dialect) => {
  let plugin: TestPlugin;
  let clock: ManualClock;
  let alice: { accountId: number; serviceId: number };
  let bob: { accountId: number; serviceId: number };

  const q = <T extends object>(sql: string, replacements: unknown[] = []) => plugin.ctx.db.sequelize.query<T>(sql, { replacements, type: QueryTypes.SELECT });
  const t = (iso: string) => sqlTime(plugin.ctx.db.dialect, Date.parse(iso));
  /** `hours` hourly rows from `fromIso` of `perHour` bytes (down: 80 %, up: 20 %) for a login already assigned to its service. */
  async function usage(login: string, serviceId: number, fromIso: string, hours: number, perHour: bigint) {
    const rows: unknown[] = [];
    for (let h = 0; h < hours; h++) rows.push(login, t(new Date(Date.parse(fromIso) + h * 3_600_000).toISOString()), serviceId, 'radius', ((perHour * 4n) / 5n).toString(), (perHour / 5n).toString(), t(fromIso));
    for (let i = 0; i < rows.length; i += 7 * 500) {
      const part = rows.slice(i, i + 7 * 500);
      await plugin.ctx.db.sequelize.query(`INSERT INTO usage_hourly (login, hour_start, service_id, source, download, upload, updated_at) VALUES ${valuesPlaceholders(part.length / 7, 7)}`, { replacements: part });
    }
  }
  const counter = async (series: string) => BigInt((await q<{ n: string }>('SELECT CAST(next_number AS CHAR) AS n FROM document_counters WHERE series = ?', [series]))[0]!.n);

  before(async () => {
    plugin = await createTestPlugin(dialect, { config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin', tax: { name: 'VAT', percent: '19' }, schedule: { enabled: false } } } });
    clock = plugin.clock as ManualClock;
    clock.set('2026-09-20T10:00:00Z');
    await plugin.services.tariffs.catalogue.create(fibre, 'user:1');
    const { subscribers } = plugin.services.subscribers;
    const a = await subscribers.createAccount({ name: 'Alice Example', email: 'alice@example.net', currency: 'EUR' }, 'user:1');
    const as = await subscribers.createService(a.id, { login: 'alice', tariff: 'FIBRE-100', startDate: '2026-10-01' }, 'user:1');
    const b = await subscribers.createAccount({ name: 'Bob <script>', currency: 'EUR' }, 'user:1');
    const bs = await subscribers.createService(b.id, { login: 'bob', tariff: 'FIBRE-100', startDate: '2026-11-16' }, 'user:1');
    alice = { accountId: a.id, serviceId: as.id };
    bob = { accountId: b.id, serviceId: bs.id };
    // November in Berlin is 2026-10-31T23:00Z .. 2026-11-30T23:00Z: 150 GB for alice (720 hours).
    await usage('alice', alice.serviceId, '2026-10-31T23:00:00Z', 720, (150n * GB) / 720n + 1n);
    await usage('bob', bob.serviceId, '2026-11-20T00:00:00Z', 10, GB);
  });
  after(async () => plugin?.close());

  it('a dry run shows what would be issued, issues nothing and takes no number', async () => {
    clock.set('2026-12-01T05:00:00Z');
    const p = await plugin.services.invoicing.billing.run('2026-12', { dryRun: true, by: 'user:1' });
    expect(p.status).to.equal('finished');
    expect(p.preview.map((r) => [r.accountId, r.totalMinor])).to.deep.equal([
      [alice.accountId, '6545'],
      [bob.accountId, String(Math.round(((3000 * 15) / 30 + 3000) * 1.19))],
    ]);
    expect(await counter('invoice')).to.equal(1n);
    expect((await q<{ n: number }>('SELECT COUNT(*) AS n FROM invoices'))[0]!.n).to.satisfy((n: unknown) => Number(n) === 0);
  });

  it('issues one invoice per account: the new month in advance, the month that ended in arrears, tax per line', async () => {
    const p = await plugin.services.invoicing.billing.run('2026-12', { dryRun: false, by: 'user:1' });
    expect([p.status, p.failure, p.invoicesIssued, p.accountsFailed, p.accountsAlreadyBilled]).to.deep.equal(['finished', null, 2, 0, 0]);
    const { invoices } = plugin.services.invoicing;
    const a = (await invoices.list({ accountId: alice.accountId })).rows[0]!;
    expect([a.number, a.status, a.issueDate, a.dueDate, a.netMinor, a.taxMinor, a.totalMinor]).to.deep.equal(['INV-000001', 'issued', '2026-12-01', '2026-12-15', 5500n, 1045n, 6545n]);
    const snap = await invoices.snapshot(a.id);
    expect(snap.document.lines.map((l) => [l.kind, l.description, l.amountMinor])).to.deep.equal([
      ['usage', 'alice: Usage above 100 GB included (per unit)', 2500n],
      ['recurring_fee', 'alice: Fibre 100 (FIBRE-100 v1)', 3000n],
    ]);
    expect(snap.buyer.name).to.equal('Alice Example');
    const billed = await invoices.usage(a.id);
    expect(billed).to.have.length(1);
    const perHour = (150n * GB) / 720n + 1n;
    expect(billed[0]!.download + billed[0]!.upload).to.equal(((perHour * 4n) / 5n + perHour / 5n) * 720n);
    // Bob started on 16 November: 15 of 30 days of November, and December in advance.
    const b = (await invoices.list({ accountId: bob.accountId })).rows[0]!;
    expect(b.number).to.equal('INV-000002');
    expect(b.netMinor).to.equal(1500n + 3000n);
    expect(await counter('invoice')).to.equal(3n);
  });

  it('a second run for the same date issues nothing more: every account is billed once', async () => {
    const p = await plugin.services.invoicing.billing.run('2026-12-01', { dryRun: false, by: 'user:2' });
    expect([p.invoicesIssued, p.accountsAlreadyBilled]).to.deep.equal([0, 2]);
    expect(await counter('invoice')).to.equal(3n);
  });

  it('the database refuses to change or delete an issued invoice or its lines; only its status moves', async () => {
    const [inv] = (await plugin.services.invoicing.invoices.list({ accountId: alice.accountId })).rows;
    const tries = [
      ['UPDATE invoices SET total_minor = 1 WHERE id = ?', [inv!.id]],
      ['UPDATE invoices SET document = ? WHERE id = ?', ['{}', inv!.id]],
      ['DELETE FROM invoices WHERE id = ?', [inv!.id]],
      ['UPDATE invoice_lines SET amount_minor = 0 WHERE invoice_id = ?', [inv!.id]],
      ['DELETE FROM invoice_lines WHERE invoice_id = ?', [inv!.id]],
    ] as const;
    for (const [sql, args] of tries) {
      const err = await plugin.ctx.db.sequelize.query(sql, { replacements: [...args] }).then(() => null, (e: Error) => e);
      expect(err, sql).to.be.instanceOf(Error);
      const e = err as Error & { original?: { message?: string } };
      expect(String(e.original?.message ?? e.message), sql).to.contain('immutable');
    }
    const moved = await plugin.services.invoicing.invoices.move(inv!.id, 'sent');
    expect(moved.status).to.equal('sent');
    expect((await plugin.services.invoicing.invoices.snapshot(inv!.id)).document.totals.totalMinor).to.equal(6545n);
  });

  it('usage that arrives after its month was invoiced goes on the next invoice as a dated adjustment, once', async () => {
    // 10 GB more for 20 November, reported late; and December's usage: 50 GB.
    await plugin.ctx.db.sequelize.query('UPDATE usage_hourly SET download = download + ? WHERE login = ? AND hour_start = ?', { replacements: [(10n * GB).toString(), 'alice', t('2026-11-20T10:00:00Z')] });
    const before = await plugin.services.invoicing.billing.reconcile('2026-12');
    expect(before.differences.map((d) => [d.serviceId, d.differenceBytes])).to.deep.equal([[alice.serviceId, (10n * GB).toString()]]);
    await usage('alice', alice.serviceId, '2026-11-30T23:00:00Z', 744, (50n * GB) / 744n);
    clock.set('2027-01-01T06:00:00Z');
    const p = await plugin.services.invoicing.billing.run('2027-01', { dryRun: false, by: 'user:1' });
    expect(p.invoicesIssued).to.equal(2);
    const jan = (await plugin.services.invoicing.invoices.list({ accountId: alice.accountId, periodKey: '2027-01-01' })).rows[0]!;
    const lines = (await plugin.services.invoicing.invoices.snapshot(jan.id)).document.lines;
    // 160 GB in November now: 60 GB above the allowance instead of 50, so 5.00 more.
    expect(lines.map((l) => [l.kind, l.amountMinor])).to.deep.equal([['usage', 0n], ['recurring_fee', 3000n], ['adjustment', 500n]]);
    expect(lines[2]!.description).to.equal('alice: usage adjustment for 2026-11-01 – 2026-11-30 (10.00 GB reported late)');
    const after = await plugin.services.invoicing.billing.reconcile('2026-12');
    expect(after.differences).to.deep.equal([]);
    // Carried once: the February run has no adjustment line.
    clock.set('2027-02-01T06:00:00Z');
    await plugin.services.invoicing.billing.run('2027-02', { dryRun: false, by: 'user:1' });
    const feb = (await plugin.services.invoicing.invoices.list({ accountId: alice.accountId, periodKey: '2027-02-01' })).rows[0]!;
    expect((await plugin.services.invoicing.invoices.snapshot(feb.id)).document.lines.map((l) => l.kind)).to.deep.equal(['usage', 'recurring_fee']);
  });

  it('an account that cannot be rated is listed with the reason and nothing is issued for it; the others are billed', async () => {
    await plugin.ctx.db.sequelize.query("INSERT INTO tariffs (code, name, currency, status, current_version, created_at, updated_at) VALUES ('LEGACY', 'legacy', 'EUR', 'draft', 1, ?, ?)", { replacements: [t('2027-01-01T00:00:00Z'), t('2027-01-01T00:00:00Z')] });
    const [row] = await q<{ id: number }>("SELECT id FROM tariffs WHERE code = 'LEGACY'");
    await plugin.ctx.db.sequelize.query("INSERT INTO tariff_versions (tariff_id, version, definition, effective_from, created_by, created_at) VALUES (?, 1, ?, ?, 'migration', ?)", {
      replacements: [row!.id, JSON.stringify({ code: 'LEGACY', name: 'legacy', currency: 'EUR', recurringFee: '0' }), t('2027-01-01T00:00:00Z'), t('2027-01-01T00:00:00Z')],
    });
    const c = await plugin.services.subscribers.subscribers.createAccount({ name: 'Carol', currency: 'EUR' }, 'user:1');
    const cs = await plugin.services.subscribers.subscribers.createService(c.id, { login: 'carol', startDate: '2027-01-05' }, 'user:1');
    await plugin.ctx.db.sequelize.query("UPDATE services SET tariff = 'LEGACY' WHERE id = ?", { replacements: [cs.id] });
    await plugin.ctx.db.sequelize.query("INSERT INTO service_tariffs (service_id, tariff_code, from_time, created_by, created_at) VALUES (?, 'LEGACY', ?, 'test', ?)", { replacements: [cs.id, t('2027-01-04T23:00:00Z'), t('2027-01-04T23:00:00Z')] });
    clock.set('2027-03-01T06:00:00Z');
    const p = await plugin.services.invoicing.billing.run('2027-03', { dryRun: false, by: 'user:1' });
    expect(p.errors).to.deep.equal([{ accountId: c.id, message: 'service carol: tariff LEGACY is a draft (no price yet): define it on the Tariffs page' }]);
    expect([p.invoicesIssued, p.accountsFailed]).to.deep.equal([2, 1]);
    expect((await plugin.services.invoicing.invoices.list({ accountId: c.id })).total).to.equal(0);
  });

  it('a credit note corrects an invoice in its own series; voiding needs it; the same lines are never credited twice', async () => {
    const { billing, invoices } = plugin.services.invoicing;
    const inv = (await invoices.list({ accountId: bob.accountId, periodKey: '2026-12-01' })).rows[0]!;
    const cn = await billing.creditNote(inv.id, { reason: 'installation delayed', by: 'user:1', void: true });
    expect(cn.number).to.equal('CN-000001');
    const credit = await invoices.get(cn.creditNoteId);
    expect([credit.type, credit.totalMinor, credit.creditedInvoiceId]).to.deep.equal(['credit_note', inv.totalMinor, inv.id]);
    expect((await invoices.get(inv.id)).status).to.equal('void');
    const again = await billing.creditNote(inv.id, { reason: 'again', by: 'user:1' }).then(() => null, (e: Error) => e);
    expect(again?.message).to.contain('void');
    expect(await counter('credit_note')).to.equal(2n);
  });
});
