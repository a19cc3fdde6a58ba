import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { nullLogger } from '../../../../plugin/common/logger.js';
import { openDatabase } from '../../../../plugin/db/database.js';
import { defineModels } from '../../../../plugin/db/models/index.js';
import { migrate, MIGRATIONS_DIR } from '../../../../plugin/db/migrator.js';
import { toAccount } from '../../../../plugin/subscribers/accounts.repository.js';
import { TariffHistoryRepository } from '../../../../plugin/subscribers/tariff-history.repository.js';
import { createTestDatabase, forEachDatabase } from '../../../support/databases.js';

forEachDatabase('migration 0010 (service tariff history, account tax)', (dialect) => {
  it('backfills one history entry per service with a tariff, from UTC midnight of its start date, and adds empty tax columns', async () => {
    const testDb = await createTestDatabase(dialect);
    const db = await openDatabase(testDb.url, nullLogger);
    const upTo9 = mkdtempSync(join(tmpdir(), 'octet-migrations-'));
    try {
      const before = readdirSync(MIGRATIONS_DIR).filter((f) => /^\d{4}-/.test(f) && f < '0010');
      for (const f of before) symlinkSync(join(MIGRATIONS_DIR, f), join(upTo9, f));
      expect((await migrate(db, nullLogger, upTo9)).at(-1)).to.match(/^0009-/);
      const q = db.sequelize.getQueryInterface();
      const now = new Date('2026-01-01T00:00:00Z');
      await q.bulkInsert('accounts', [
        { name: 'Old Exempt', currency: 'EUR', status: 'active', tax_exempt: true, created_at: now, updated_at: now },
        { name: 'Plain', currency: 'EUR', status: 'active', tax_exempt: false, created_at: now, updated_at: now },
      ]);
      const svc = (account: number, login: string, tariff: string | null, start: string) => ({ account_id: account, login, live_login: login, tariff, status: 'active', start_date: start, created_at: now, updated_at: now });
      await q.bulkInsert('services', [svc(1, 'a', 'home-100', '2025-11-15'), svc(1, 'b', null, '2026-01-01'), svc(2, 'c', 'Fibre 50 (old)', '2026-02-01'), svc(2, 'd', 'home-100', '2026-02-01')]);

      expect(await migrate(db, nullLogger)).to.include('0010-service-tariff-history-account-tax');
      const rows = await db.sequelize.query<{ service_id: number; tariff_code: string; created_by: string }>(
        'SELECT service_id, tariff_code, created_by FROM service_tariffs ORDER BY service_id',
        { type: QueryTypes.SELECT },
      );
      expect(rows.map((r) => [Number(r.service_id), r.tariff_code, r.created_by])).to.deep.equal([
        [1, 'home-100', 'migration:0010'],
        [3, 'Fibre 50 (old)', 'migration:0010'],
        [4, 'home-100', 'migration:0010'],
      ]);
      // Read back the way the plugin reads its own rows: the backfill's instants are the same kind.
      const history = await new TariffHistoryRepository(db, () => now).historyOf([1, 2, 3, 4]);
      expect([...history.entries()].map(([id, h]) => [id, h.map((e) => new Date(e.fromMs).toISOString())])).to.deep.equal([
        [1, ['2025-11-15T00:00:00.000Z']],
        [3, ['2026-02-01T00:00:00.000Z']],
        [4, ['2026-02-01T00:00:00.000Z']],
      ]);
      const models = defineModels(db.sequelize);
      const exempt = toAccount((await models.Account.findByPk(1))!);
      expect(exempt).to.include({ taxExempt: true, taxExemptReason: null, taxName: null, taxPercent: null, paymentTermsDays: null, billingEmail: null });

      expect(await migrate(db, nullLogger)).to.deep.equal([]);
      const again = await db.sequelize.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM service_tariffs', { type: QueryTypes.SELECT });
      expect(Number(again[0]!.n)).to.equal(3);
    } finally {
      rmSync(upTo9, { recursive: true, force: true });
      await db.close();
      await testDb.drop();
    }
  });
});
