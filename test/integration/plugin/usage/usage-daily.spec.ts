import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { ManualClock } from '../../../../plugin/common/clock.js';
import type { SessionObservation } from '../../../../plugin/common/wire.js';
import { ingestModule } from '../../../../plugin/ingest/index.js';
import { buildSubscribers } from '../../../../plugin/subscribers/index.js';
import { assignUnassignedUsage, buildUsage, createBillingUsage, usageModule, type CompletenessProvider } from '../../../../plugin/usage/index.js';
import { sqlTime } from '../../../../plugin/db/sql.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { batch, createAgent, createService, observation, postBatch } from './fixtures.js';

const noSources: CompletenessProvider = { sources: async () => [] };

/**
 * usage_daily (migration 0029): per service and UTC day, the sum of usage_hourly, kept by
 * triggers, so that a billing run's totals read about 30 rows a month per service instead of
 * every bucket. Each step below writes usage_hourly the way one of its writers does (the rollup
 * adding and rewriting buckets, an assignment moving unassigned hours to a new service, ending a
 * service in the past, a repair by hand in SQL) and then checks the invariant for every service
 * and day, and that the billing port's totals equal a sum over the buckets themselves.
 */
forEachDatabase('daily usage sums kept by the database', (dialect) => {
  let plugin: TestPlugin;
  let token: string;
  let usage: ReturnType<typeof buildUsage>;
  const clock = new ManualClock('2026-03-01T00:00:00Z');
  const LATER = '2026-04-02T00:00:00Z';

  before(async () => {
    plugin = await createTestPlugin(dialect, { modules: [ingestModule, usageModule], clock, config: { billing: { timezone: 'Asia/Kolkata', currency: 'INR' } } });
    token = await createAgent(plugin.ctx);
    usage = buildUsage(plugin.ctx);
  });
  after(async () => plugin?.close());

  const q = <T extends object>(sql: string, replacements: unknown[] = []) => plugin.ctx.db.sequelize.query<T>(sql, { replacements, type: QueryTypes.SELECT });
  const run = (sql: string, replacements: unknown[] = []) => plugin.ctx.db.sequelize.query(sql, { replacements });
  const t = (iso: string) => sqlTime(dialect, Date.parse(iso));

  async function send(records: SessionObservation[]): Promise<void> {
    const res = await postBatch(plugin.app, token, batch(records)).expect(200);
    expect(res.body.rejected).to.deep.equal([]);
    await usage.rollup.rollupPending();
  }
  const o = (login: string, sid: string, iso: string, down: number, up: number) => observation({ login, sessionId: sid, observedAt: iso, downloadOctets: String(down), uploadOctets: String(up) });

  /** Every (service, day) where usage_daily differs from the sum of its buckets (a daily row at zero with no buckets left agrees). */
  async function disagreements(): Promise<string[]> {
    const dayOfHour = dialect === 'sqlite' ? 'substr(hour_start, 1, 10)' : 'CAST(DATE(hour_start) AS CHAR)';
    const day = dialect === 'sqlite' ? 'day' : 'CAST(day AS CHAR)';
    const hourly = await q<{ s: number; d: string; dl: string; ul: string }>(
      `SELECT service_id AS s, ${dayOfHour} AS d, CAST(SUM(download) AS CHAR) AS dl, CAST(SUM(upload) AS CHAR) AS ul FROM usage_hourly WHERE service_id IS NOT NULL GROUP BY service_id, ${dayOfHour}`,
    );
    const daily = await q<{ s: number; d: string; dl: string; ul: string }>(`SELECT service_id AS s, ${day} AS d, CAST(download AS CHAR) AS dl, CAST(upload AS CHAR) AS ul FROM usage_daily`);
    const want = new Map(hourly.map((r) => [`${r.s} ${r.d}`, `${r.dl}/${r.ul}`]));
    const have = new Map(daily.map((r) => [`${r.s} ${r.d}`, `${r.dl}/${r.ul}`]));
    const out: string[] = [];
    for (const [k, v] of want) if (have.get(k) !== v) out.push(`${k}: buckets ${v}, daily ${have.get(k) ?? 'missing'}`);
    for (const [k, v] of have) if (!want.has(k) && v !== '0/0') out.push(`${k}: no buckets, daily ${v}`);
    return out;
  }

  /** The window's total as the buckets themselves give it. */
  async function bucketSum(serviceId: number, from: string, to: string): Promise<{ download: bigint; upload: bigint }> {
    const [r] = await q<{ d: string | null; u: string | null }>('SELECT CAST(SUM(download) AS CHAR) AS d, CAST(SUM(upload) AS CHAR) AS u FROM usage_hourly WHERE service_id = ? AND hour_start >= ? AND hour_start < ?', [serviceId, t(from), t(to)]);
    return { download: BigInt(r?.d ?? 0), upload: BigInt(r?.u ?? 0) };
  }

  /** Windows cut at UTC days, at Kolkata's half-hour midnights, inside one day, and exactly one day. */
  const windows: Array<[string, string]> = [
    ['2026-02-28T18:30:00Z', '2026-03-31T18:30:00Z'],
    ['2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z'],
    ['2026-03-09T18:30:00Z', '2026-03-10T18:30:00Z'],
    ['2026-03-10T00:00:00Z', '2026-03-11T00:00:00Z'],
    ['2026-03-10T01:15:00Z', '2026-03-10T23:45:00Z'],
    ['2026-03-09T22:00:00Z', '2026-03-12T02:00:00Z'],
  ];

  async function expectTotalsAgree(serviceIds: number[]): Promise<void> {
    const port = createBillingUsage(plugin.ctx, noSources);
    for (const [from, to] of windows) {
      const totals = await port.usageTotals(serviceIds, Date.parse(from), Date.parse(to));
      for (const id of serviceIds) {
        const want = await bucketSum(id, from, to);
        const got = totals.get(id) ?? { download: 0n, upload: 0n };
        expect({ window: `${from}..${to}`, id, ...got }).to.deep.equal({ window: `${from}..${to}`, id, ...want });
      }
    }
  }

  it('follows the rollup adding buckets and rewriting them, across a UTC midnight', async () => {
    const a = await createService(plugin.ctx, 'daily-a', '2026-03-01');
    const b = await createService(plugin.ctx, 'daily-b', '2026-03-01');
    clock.set(LATER);
    await send([
      o('daily-a', 'A1', '2026-03-09T23:00:00Z', 0, 0), o('daily-a', 'A1', '2026-03-10T01:00:00Z', 8_000_000, 800_000),
      o('daily-b', 'B1', '2026-03-10T18:00:00Z', 0, 0), o('daily-b', 'B1', '2026-03-10T19:00:00Z', 3_000, 300),
    ]);
    expect(await disagreements()).to.deep.equal([]);
    // More of the same sessions: buckets already there get new counters (the update path).
    await send([o('daily-a', 'A1', '2026-03-10T01:10:00Z', 9_000_000, 900_000), o('daily-b', 'B1', '2026-03-11T01:00:00Z', 60_000, 6_000)]);
    expect(await disagreements()).to.deep.equal([]);
    const [row] = await q<{ d: string }>(`SELECT CAST(download AS CHAR) AS d FROM usage_daily WHERE service_id = ? AND day = ?`, [a.serviceId, '2026-03-09']);
    expect(row, 'the hour before the UTC midnight is on its own day').to.not.equal(undefined);
    await expectTotalsAgree([a.serviceId, b.serviceId]);
    expect((await createBillingUsage(plugin.ctx, noSources).usageTotals([a.serviceId], Date.parse('2026-03-01T00:00:00Z'), Date.parse('2026-04-01T00:00:00Z'))).get(a.serviceId)).to.deep.equal({ download: 9_000_000n, upload: 900_000n });
  });

  it('counts unassigned usage nowhere, and on the service once an assignment gives it one', async () => {
    await send([o('daily-late', 'L1', '2026-03-12T10:00:00Z', 0, 0), o('daily-late', 'L1', '2026-03-12T12:00:00Z', 5_000, 500)]);
    const [before] = await q<{ n: number | string }>('SELECT COUNT(*) AS n FROM usage_hourly WHERE login = ? AND service_id IS NULL', ['daily-late']);
    expect(Number(before!.n)).to.be.above(0);
    expect(await disagreements()).to.deep.equal([]);
    clock.set('2026-03-01T00:00:00Z');
    const late = await plugin.ctx.db.transaction(async (tx) => {
      const s = await createService(plugin.ctx, 'daily-late', '2026-03-01', null, tx);
      await assignUnassignedUsage(plugin.ctx, { login: 'daily-late', serviceId: s.serviceId }, tx);
      return s;
    });
    clock.set(LATER);
    expect(await disagreements()).to.deep.equal([]);
    expect((await createBillingUsage(plugin.ctx, noSources).usageTotals([late.serviceId], Date.parse('2026-02-28T18:30:00Z'), Date.parse('2026-03-31T18:30:00Z'))).get(late.serviceId)).to.deep.equal({ download: 5_000n, upload: 500n });
  });

  it('takes the hours after a service\'s end off its days when staff end it in the past', async () => {
    const parts = buildSubscribers(plugin.ctx);
    clock.set('2026-03-01T00:00:00Z');
    const account = await parts.subscribers.createAccount({ name: 'Daily ended' }, 'test');
    const service = await parts.subscribers.createService(account.id, { login: 'daily-ended', startDate: '2026-03-01' }, 'test');
    clock.set(LATER);
    await send([o('daily-ended', 'E1', '2026-03-05T10:00:00Z', 0, 0), o('daily-ended', 'E1', '2026-03-05T10:10:00Z', 100, 10), o('daily-ended', 'E1', '2026-03-12T10:00:00Z', 900, 90)]);
    expect(await disagreements()).to.deep.equal([]);
    await parts.subscribers.endService(service.id, { endDate: '2026-03-07' }, 'test');
    expect(await disagreements()).to.deep.equal([]);
    await expectTotalsAgree([service.id]);
  });

  it('stays exact under repairs by hand: a bucket moved to another service, to another day, changed, deleted', async () => {
    const [a] = await q<{ id: number }>("SELECT id FROM services WHERE login = 'daily-a'");
    const [b] = await q<{ id: number }>("SELECT id FROM services WHERE login = 'daily-b'");
    const [first] = await q<{ id: string }>('SELECT CAST(id AS CHAR) AS id FROM usage_hourly WHERE service_id = ? ORDER BY hour_start LIMIT 1', [a!.id]);
    await run('UPDATE usage_hourly SET service_id = ? WHERE id = ?', [b!.id, first!.id]);
    expect(await disagreements()).to.deep.equal([]);
    await run('UPDATE usage_hourly SET hour_start = ? WHERE id = ?', [t('2026-03-20T05:00:00Z'), first!.id]);
    expect(await disagreements()).to.deep.equal([]);
    await run('UPDATE usage_hourly SET download = download + 7, upload = 0 WHERE service_id = ?', [b!.id]);
    expect(await disagreements()).to.deep.equal([]);
    await run('UPDATE usage_hourly SET service_id = NULL WHERE id = ?', [first!.id]);
    expect(await disagreements()).to.deep.equal([]);
    await run('DELETE FROM usage_hourly WHERE service_id = ?', [a!.id]);
    expect(await disagreements()).to.deep.equal([]);
    await expectTotalsAgree([Number(a!.id), Number(b!.id)]);
  });
});
