import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { sqlTime } from '../../../../plugin/db/sql.js';
import { UsageRepository } from '../../../../plugin/usage/usage.repository.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';

const GB = 1_000_000_000n;
const NOV = { fromMs: Date.parse('2026-11-01T00:00:00Z'), toMs: Date.parse('2026-12-01T00:00:00Z') };

/**
 * Billing re-counts only the billed windows a writer of usage_hourly marked as changed: the
 * rollup's upsert and replace, and an assignment moving hours between services, mark the
 * windows they touch; closing a window marks it once, for what the rollup wrote meanwhile.
 */
forEachDatabase('billed windows marked by the writers of usage', (dialect) => {
  let plugin: TestPlugin;
  let a: number;
  let b: number;
  const port = () => plugin.services.billingUsage;
  const dirty = async (serviceId: number) =>
    (await plugin.ctx.db.sequelize.query<{ d: number | string }>('SELECT dirty AS d FROM usage_billed_periods WHERE service_id = ?', { replacements: [serviceId], type: QueryTypes.SELECT })).map((r) => Number(r.d));

  before(async () => {
    plugin = await createTestPlugin(dialect, { config: { billing: { currency: 'EUR', timezone: 'UTC', schedule: { enabled: false } } } });
    await plugin.services.tariffs.catalogue.create({ code: 'T', name: 'T', currency: 'EUR', recurringFee: '1' }, 'user:1');
    const acc = await plugin.services.subscribers.subscribers.createAccount({ name: 'A', currency: 'EUR' }, 'user:1');
    a = (await plugin.services.subscribers.subscribers.createService(acc.id, { login: 'alpha', tariff: 'T', startDate: '2026-10-01' }, 'user:1')).id;
    b = (await plugin.services.subscribers.subscribers.createService(acc.id, { login: 'beta', tariff: 'T', startDate: '2026-10-01' }, 'user:1')).id;
    const repo = new UsageRepository(plugin.ctx.db);
    await plugin.ctx.db.transaction((t) => repo.upsertHourly([{ login: 'alpha', hourMs: Date.parse('2026-11-10T10:00:00Z'), serviceId: a, source: 'radius', download: 5n * GB, upload: 0n }], new Date(), t));
    await plugin.ctx.db.transaction((t) => port().closeWindows([{ serviceId: a, ...NOV, download: 5n * GB, upload: 0n }, { serviceId: b, ...NOV, download: 0n, upload: 0n }], 'test', t));
  });
  after(async () => plugin?.close());

  it('a window just closed is compared once at the next run, then left alone until a writer touches it', async () => {
    expect(await dirty(a)).to.deep.equal([1]);
    expect(await plugin.ctx.db.transaction((t) => port().pendingAdjustments([a, b], t))).to.deep.equal([]);
    expect([await dirty(a), await dirty(b)]).to.deep.equal([[0], [0]]);
  });

  it('the rollup writing a late bucket into a billed window marks it, and the next run finds the adjustment', async () => {
    const repo = new UsageRepository(plugin.ctx.db);
    await plugin.ctx.db.transaction((t) => repo.upsertHourly([{ login: 'alpha', hourMs: Date.parse('2026-11-20T10:00:00Z'), serviceId: a, source: 'radius', download: 2n * GB, upload: 0n }], new Date(), t));
    expect(await dirty(a)).to.deep.equal([1]);
    const found = await plugin.ctx.db.transaction((t) => port().pendingAdjustments([a], t));
    expect(found.map((x) => [x.serviceId, x.download, x.upload])).to.deep.equal([[a, 2n * GB, 0n]]);
    expect(await dirty(a)).to.deep.equal([0]);
    await plugin.ctx.db.transaction((t) => port().markCarried(found.map((x) => x.id), 'run:invoice:1:2026-12-01', t));
  });

  it('an assignment moving billed hours to another service marks both windows: one loses, one gains', async () => {
    await plugin.ctx.db.sequelize.query("UPDATE services SET login = 'beta-old', live_login = NULL WHERE id = ?", { replacements: [b] });
    await plugin.ctx.db.sequelize.query("UPDATE services SET login = 'alpha' WHERE id = ?", { replacements: [b] });
    await plugin.ctx.db.sequelize.query("UPDATE services SET end_date = '2026-10-31' WHERE id = ?", { replacements: [a] });
    // Service b now holds login alpha for November: re-deciding the login's rows moves them.
    await plugin.ctx.db.transaction((t) => plugin.services.usage.assignment.reassign(['alpha'], t));
    expect([await dirty(a), await dirty(b)]).to.deep.equal([[1], [1]]);
    const found = await plugin.ctx.db.transaction((t) => port().pendingAdjustments([a, b], t));
    expect(found.map((x) => [x.serviceId, x.download]).sort((x, y) => Number(x[0]) - Number(y[0]))).to.deep.equal([[a, -7n * GB], [b, 7n * GB]]);
    // Carried by an invoice: never listed again.
    await plugin.ctx.db.transaction((t) => port().markCarried(found.map((x) => x.id), 'run:invoice:1:2026-12-01', t));
    expect(await plugin.ctx.db.transaction((t) => port().pendingAdjustments([a, b], t))).to.deep.equal([]);
  });

  it('a window nobody wrote to is not re-counted: a change made behind the writers is left to reconciliation', async () => {
    await plugin.ctx.db.sequelize.query('UPDATE usage_hourly SET download = download + 1 WHERE service_id = ?', { replacements: [b] });
    expect(await plugin.ctx.db.transaction((t) => port().pendingAdjustments([a, b], t))).to.deep.equal([]);
    const [{ n }] = await plugin.ctx.db.sequelize.query<{ n: string }>('SELECT CAST(SUM(download) AS CHAR) AS n FROM usage_hourly WHERE service_id = ? AND hour_start >= ?', { replacements: [b, sqlTime(plugin.ctx.db.dialect, NOV.fromMs)], type: QueryTypes.SELECT }) as [{ n: string }];
    expect(BigInt(n)).to.equal(7n * GB + 2n);
  });
});
