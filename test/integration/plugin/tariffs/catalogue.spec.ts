import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import type { ManualClock } from '../../../../plugin/common/clock.js';
import { ValidationError } from '../../../../plugin/common/errors.js';
import { nullLogger } from '../../../../plugin/common/logger.js';
import { openDatabase } from '../../../../plugin/db/database.js';
import { migrate, MIGRATIONS_DIR } from '../../../../plugin/db/migrator.js';
import { versionAt } from '../../../../plugin/tariffs/index.js';
import { createTestDatabase, forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';

const fibre = (fee: string, extra: Record<string, unknown> = {}) => ({
  code: 'FIBRE-200', name: 'Fibre 200', currency: 'EUR', recurringFee: fee,
  usage: { direction: 'both', unit: 'GB', includedUnits: '500', charge: { model: 'graduated', tiers: [{ from: '0', to: '100', unitPrice: '0.04' }, { from: '100', unitPrice: '0.02', flatFee: '1.00' }] }, topUps: [{ code: 'EXTRA-100', units: '100', price: '3.00' }] },
  ...extra,
});

async function refusal(p: Promise<unknown>): Promise<ValidationError> {
  try {
    await p;
  } catch (err) {
    return err as ValidationError;
  }
  throw new Error('expected a refusal');
}

forEachDatabase('tariff catalogue', (dialect) => {
  let plugin: TestPlugin;
  let clock: ManualClock;

  before(async () => {
    plugin = await createTestPlugin(dialect, { config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin' } } });
    clock = plugin.clock as ManualClock;
  });
  after(async () => plugin?.close());

  it('keeps every version: an edit is version n+1 effective now, and a period is rated with the version at its start', async () => {
    const { catalogue } = plugin.services.tariffs;
    clock.set('2026-01-10T09:00:00Z');
    await catalogue.create(fibre('49.90'), 'user:1');
    clock.set('2026-02-14T12:00:00Z');
    const edited = await catalogue.edit('FIBRE-200', { name: 'Fibre 200 (new price)', recurringFee: '54.90', usage: fibre('0').usage }, 'user:2');
    expect(edited.entry).to.deep.include({ currentVersion: 2, status: 'active', name: 'Fibre 200 (new price)' });
    const found = (await plugin.services.tariffs.port.versionsByCode(['FIBRE-200', 'NOPE'])).get('FIBRE-200')!;
    expect(found.versions.map((v) => [v.tariff.version, v.tariff.recurringFee.toFixed(2), new Date(v.effectiveFromMs).toISOString()])).to.deep.equal([
      [1, '49.90', '2026-01-10T09:00:00.000Z'],
      [2, '54.90', '2026-02-14T12:00:00.000Z'],
    ]);
    expect(versionAt(found.versions, Date.parse('2026-01-31T23:00:00Z')).tariff.version).to.equal(1);
    expect(versionAt(found.versions, Date.parse('2026-02-28T23:00:00Z')).tariff.version).to.equal(2);
    expect(found.versions[1]!.tariff.topUps[0]!.price.toFixed(2)).to.equal('3.00');
    const audit = await plugin.ctx.repos.audit.list({ entityType: 'tariff', entityId: 'FIBRE-200' });
    expect(audit.map((a) => [a.action, a.actor])).to.deep.equal([['tariff.edit', 'user:2'], ['tariff.create', 'user:1']]);
  });

  it('refuses a change of currency or code between versions, and a second tariff with the same code', async () => {
    const { catalogue } = plugin.services.tariffs;
    const currency = await refusal(catalogue.edit('FIBRE-200', { ...fibre('1'), currency: 'USD' }, 'user:1'));
    expect(currency.issues).to.deep.equal([{ field: 'currency', message: 'cannot change between versions (it is EUR): make a new tariff instead' }]);
    const again = await refusal(catalogue.create(fibre('1'), 'user:1'));
    expect(again.message).to.contain('exists already');
    expect((await catalogue.get('FIBRE-200')).entry.currentVersion).to.equal(2);
  });

  it('archives: assignments are refused with the reason, the versions stay readable for billing', async () => {
    const { catalogue, port } = plugin.services.tariffs;
    await catalogue.create({ ...fibre('10'), code: 'OLD-10' }, 'user:1');
    expect(await port.assignable('OLD-10')).to.equal(null);
    await catalogue.archive('OLD-10', 'user:1');
    expect(await port.assignable('OLD-10')).to.contain('archived');
    expect(await port.assignable('MISSING')).to.contain('no tariff MISSING');
    expect((await port.versionsByCode(['OLD-10'])).get('OLD-10')!.entry.status).to.equal('archived');
  });

  it('answers a batch of 1,200 codes in one call (the IN list is cut into chunks)', async () => {
    const { catalogue, port } = plugin.services.tariffs;
    for (let i = 0; i < 3; i++) await catalogue.create({ ...fibre(`${i}.50`), code: `BATCH-${i}` }, 'user:1');
    const codes = [...Array.from({ length: 1200 }, (_, i) => `UNKNOWN-${i}`), 'BATCH-0', 'BATCH-1', 'BATCH-2', 'FIBRE-200'];
    const map = await port.versionsByCode(codes);
    expect([...map.keys()].sort()).to.deep.equal(['BATCH-0', 'BATCH-1', 'BATCH-2', 'FIBRE-200']);
    expect(map.get('BATCH-2')!.versions[0]!.tariff.recurringFee.toFixed(2)).to.equal('2.50');
  });

  it('extra charges and top-ups: added, listed through the port, removed; a top-up the tariff lacks is refused', async () => {
    const { charges, port } = plugin.services.tariffs;
    const subs = plugin.services.subscribers.subscribers;
    const account = await subs.createAccount({ name: 'Charged Customer' }, 'test');
    const service = await subs.createService(account.id, { login: 'charged-1', tariff: 'FIBRE-200' }, 'test');
    const ip = await charges.addCharge(account.id, { code: 'STATIC-IP', description: 'Static IPv4', price: '5.00', recurring: true, fromDate: '2026-03-01' }, 'user:1');
    const install = await charges.addCharge(account.id, { code: 'INSTALL', description: 'Installation', price: '79.00', recurring: false, at: '2026-03-02T10:00:00Z', serviceId: service.id }, 'user:1');
    const listed = await port.chargesFor([account.id, 999_999]);
    expect(listed.map((c) => [c.code, c.price.toFixed(2), c.recurring, c.fromDate, c.atMs === null ? null : new Date(c.atMs).toISOString(), c.serviceId])).to.deep.equal([
      ['STATIC-IP', '5.00', true, '2026-03-01', null, null],
      ['INSTALL', '79.00', false, null, '2026-03-02T10:00:00.000Z', service.id],
    ]);
    await charges.removeCharge(install.id, 'user:1');
    expect((await port.chargesFor([account.id])).map((c) => c.id)).to.deep.equal([ip.id]);

    clock.set('2026-03-05T20:00:00Z');
    const bought = await charges.buyTopUp(service.id, { code: 'EXTRA-100' }, 'user:1');
    expect(new Date(bought.atMs).toISOString()).to.equal('2026-03-05T20:00:00.000Z');
    const refused = await refusal(charges.buyTopUp(service.id, { code: 'EXTRA-500' }, 'user:1'));
    expect(refused).to.be.instanceOf(ValidationError);
    expect(refused.issues).to.deep.equal([{ field: 'code', message: 'tariff FIBRE-200 has no top-up EXTRA-500 (it offers EXTRA-100)' }]);
    expect(await port.topUpsFor([service.id], Date.parse('2026-03-01T00:00:00Z'), Date.parse('2026-04-01T00:00:00Z'))).to.deep.equal([
      { id: bought.id, serviceId: service.id, code: 'EXTRA-100', atMs: Date.parse('2026-03-05T20:00:00Z') },
    ]);
    expect(await port.topUpsFor([service.id], Date.parse('2026-03-05T20:00:00Z') + 1, Date.parse('2026-04-01T00:00:00Z'))).to.deep.equal([]);
  });
});

forEachDatabase('migration 0009 (free-text service tariffs become drafts)', (dialect) => {
  it('turns every distinct tariff string into a draft in the currency of the first service using it, codes kept as they are', async () => {
    const testDb = await createTestDatabase(dialect);
    const db = await openDatabase(testDb.url, nullLogger);
    const upTo8 = mkdtempSync(join(tmpdir(), 'octet-migrations-'));
    try {
      for (const f of readdirSync(MIGRATIONS_DIR).filter((f) => /^000[1-8]-/.test(f))) symlinkSync(join(MIGRATIONS_DIR, f), join(upTo8, f));
      expect((await migrate(db, nullLogger, upTo8)).at(-1)).to.equal('0008-login-failures');
      const q = db.sequelize.getQueryInterface();
      const now = new Date('2026-01-01T00:00:00Z');
      await q.bulkInsert('accounts', [
        { name: 'Yen', currency: 'JPY', status: 'active', tax_exempt: false, created_at: now, updated_at: now },
        { name: 'Euro', currency: 'EUR', status: 'active', tax_exempt: false, created_at: now, updated_at: now },
      ]);
      const svc = (account: number, login: string, tariff: string | null) => ({ account_id: account, login, live_login: login, tariff, status: 'active', start_date: '2026-01-01', created_at: now, updated_at: now });
      await q.bulkInsert('services', [svc(1, 'a', 'Fibre 50 (old)'), svc(2, 'b', 'Fibre 50 (old)'), svc(2, 'c', 'DSL-16'), svc(2, 'd', null), svc(1, 'e', 'dsl-16')]);
      await migrate(db, nullLogger);
      const rows = await db.sequelize.query<{ code: string; currency: string; status: string; current_version: number; definition: string; version: number }>(
        'SELECT t.code, t.currency, t.status, t.current_version, v.definition, v.version FROM tariffs t JOIN tariff_versions v ON v.tariff_id = t.id ORDER BY t.code',
        { type: QueryTypes.SELECT },
      );
      expect(rows.map((r) => [r.code, r.currency, r.status, Number(r.current_version), Number(r.version)])).to.deep.equal([
        ['DSL-16', 'EUR', 'draft', 1, 1],
        ['Fibre 50 (old)', 'JPY', 'draft', 1, 1],
        ['dsl-16', 'JPY', 'draft', 1, 1],
      ]);
      expect(JSON.parse(rows[0]!.definition)).to.deep.equal({ code: 'DSL-16', name: 'DSL-16', version: '1', currency: 'EUR', recurringFee: '0' });
    } finally {
      rmSync(upTo8, { recursive: true, force: true });
      await db.close();
      await testDb.drop();
    }
  });

  it('drafts are read through the port, are not assignable, and become active when given a definition', async () => {
    const plugin = await createTestPlugin(dialect, { config: { billing: { currency: 'EUR', timezone: 'UTC' } } });
    try {
      const { catalogue, port } = plugin.services.tariffs;
      // A draft as the migration writes it (no services exist in a fresh database).
      await plugin.ctx.db.sequelize.query("INSERT INTO tariffs (code, name, currency, status, current_version, created_at, updated_at) VALUES ('Legacy 1', 'Legacy 1', 'EUR', 'draft', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')");
      const id = (await plugin.ctx.db.sequelize.query<{ id: number }>("SELECT id FROM tariffs WHERE code = 'Legacy 1'", { type: QueryTypes.SELECT }))[0]!.id;
      const at = dialect === 'sqlite' ? '2026-01-01 00:00:00.000 +00:00' : '2026-01-01 00:00:00.000';
      await plugin.ctx.db.sequelize.query(`INSERT INTO tariff_versions (tariff_id, version, definition, effective_from, created_by, created_at) VALUES (?, 1, ?, '${at}', 'migration:0009', '${at}')`, {
        replacements: [id, JSON.stringify({ code: 'Legacy 1', name: 'Legacy 1', version: '1', currency: 'EUR', recurringFee: '0' })],
      });
      const draft = (await port.versionsByCode(['Legacy 1'])).get('Legacy 1')!;
      expect(draft.entry.status).to.equal('draft');
      expect(draft.versions[0]!.tariff.code).to.equal('Legacy 1');
      expect(await port.assignable('Legacy 1')).to.contain('draft');
      const active = await catalogue.edit('Legacy 1', { name: 'Legacy 1', recurringFee: '19.00' }, 'user:1');
      expect(active.entry).to.deep.include({ status: 'active', currentVersion: 2, code: 'Legacy 1' });
      // Nothing was billed on the draft, so the real price covers the periods since it was taken over.
      expect(active.versions.map((v) => new Date(v.effectiveFromMs).toISOString())).to.deep.equal(['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z']);
      expect(versionAt(active.versions, Date.parse('2026-02-01T00:00:00Z')).tariff.recurringFee.toFixed(2)).to.equal('19.00');
      expect(await port.assignable('Legacy 1')).to.equal(null);
    } finally {
      await plugin.close();
    }
  });
});
