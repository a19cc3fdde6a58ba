import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { nullLogger } from '../../../../plugin/common/logger.js';
import { openDatabase } from '../../../../plugin/db/database.js';
import { migrate, MIGRATIONS_DIR } from '../../../../plugin/db/migrator.js';
import { sqlTime, valuesPlaceholders } from '../../../../plugin/db/sql.js';
import { BillingUsagePort } from '../../../../plugin/usage/index.js';
import { createTestDatabase, forEachDatabase } from '../../../support/databases.js';

/**
 * Migration 0029 on a database that already holds usage: the daily sums are backfilled for the
 * 100 UTC days up to the latest bucket only (an upgrade over years of history must not sum it all
 * before the plugin starts), the day they are whole from is recorded, and the billing port's
 * totals are exact on both sides of it: from the daily sums after it, from the buckets before it.
 */
forEachDatabase('migration 0029 (daily usage sums) on existing usage', (dialect) => {
  it('backfills the last 100 days, marks where the sums are whole, and totals stay exact before and after that day', async () => {
    const testDb = await createTestDatabase(dialect);
    const db = await openDatabase(testDb.url, nullLogger);
    const upTo28 = mkdtempSync(join(tmpdir(), 'octet-migrations-'));
    try {
      for (const f of readdirSync(MIGRATIONS_DIR).filter((f) => /^\d{4}-/.test(f) && f < '0029')) symlinkSync(join(MIGRATIONS_DIR, f), join(upTo28, f));
      expect((await migrate(db, nullLogger, upTo28)).at(-1)).to.match(/^0028-/);
      const now = new Date('2026-01-01T00:00:00Z');
      const q = db.sequelize.getQueryInterface();
      await q.bulkInsert('accounts', [{ name: 'Old customer', currency: 'EUR', status: 'active', tax_exempt: false, created_at: now, updated_at: now }]);
      await q.bulkInsert('services', [{ account_id: 1, login: 'old', live_login: 'old', status: 'active', start_date: '2025-01-01', created_at: now, updated_at: now }]);
      // 1,000 bytes down and 10 up at 06:00 and 18:00 UTC every day of 2025, and 7 unassigned bytes a day.
      const rows: unknown[] = [];
      for (let d = 0; d < 365; d++) {
        for (const h of [6, 18]) rows.push('old', sqlTime(dialect, Date.UTC(2025, 0, 1 + d, h)), 1, 'radius', 1000, 10, sqlTime(dialect, now));
        rows.push('nobody', sqlTime(dialect, Date.UTC(2025, 0, 1 + d, 12)), null, 'radius', 7, 0, sqlTime(dialect, now));
      }
      for (let i = 0; i < rows.length; i += 7 * 300) {
        const part = rows.slice(i, i + 7 * 300);
        await db.sequelize.query(`INSERT INTO usage_hourly (login, hour_start, service_id, source, download, upload, updated_at) VALUES ${valuesPlaceholders(part.length / 7, 7)}`, { replacements: part });
      }

      expect(await migrate(db, nullLogger)).to.include('0029-usage-daily');
      const [state] = await db.sequelize.query<{ d: unknown }>('SELECT complete_from AS d FROM usage_daily_state', { type: QueryTypes.SELECT });
      expect(String(state!.d instanceof Date ? state!.d.toISOString() : state!.d).slice(0, 10), '100 days before 2025-12-31').to.equal('2025-09-22');
      const [daily] = await db.sequelize.query<{ n: number | string; lo: unknown; d: string }>('SELECT COUNT(*) AS n, MIN(day) AS lo, CAST(SUM(download) AS CHAR) AS d FROM usage_daily', { type: QueryTypes.SELECT });
      expect([Number(daily!.n), String(daily!.lo instanceof Date ? daily!.lo.toISOString() : daily!.lo).slice(0, 10), daily!.d]).to.deep.equal([101, '2025-09-22', String(101 * 2000)]);

      const port = new BillingUsagePort({ db, clock: new ManualClock(now), timezone: 'Europe/Berlin', completeness: { sources: async () => [] } });
      const total = async (from: string, to: string) => (await port.usageTotals([1], Date.parse(from), Date.parse(to))).get(1);
      // Berlin months: wholly before the mark, across it, wholly after it; and the whole year.
      expect(await total('2025-02-28T23:00:00Z', '2025-03-31T22:00:00Z')).to.deep.equal({ download: 31n * 2000n, upload: 31n * 20n });
      expect(await total('2025-08-31T22:00:00Z', '2025-09-30T22:00:00Z')).to.deep.equal({ download: 30n * 2000n, upload: 30n * 20n });
      expect(await total('2025-11-30T23:00:00Z', '2025-12-31T23:00:00Z')).to.deep.equal({ download: 31n * 2000n, upload: 31n * 20n });
      expect(await total('2024-12-31T23:00:00Z', '2025-12-31T23:00:00Z')).to.deep.equal({ download: 365n * 2000n, upload: 365n * 20n });
    } finally {
      rmSync(upTo28, { recursive: true, force: true });
      await db.close();
      await testDb.drop();
    }
  });
});
