import { DataTypes, QueryTypes } from 'sequelize';
import { identityTableOptions } from '../plugin/db/identity-collation.js';
import type { MigrationContext } from '../plugin/db/migrator.js';

/**
 * The tariff catalogue (plugin/tariffs), extra charges and top-ups.
 * - `tariffs`: one row per code (immutable once created); `tariff_versions`: every definition the
 *   tariff had (the input JSON rating's tariffSchema reads, decimals as text), each effective from
 *   an instant (UTC). A period is rated with the version in effect at its start.
 * - Every distinct `services.tariff` string in use becomes a `draft` tariff of that code (kept as
 *   it is even where it breaks the code rule: services refer to it), priced at nothing, in the
 *   currency of the account of the first service using it. Drafts are not billable; staff make a
 *   draft active by giving it a real definition.
 * - `extra_charges`: other services on the same invoice (voice, TV, static IP, rentals,
 *   installation), price as decimal text in major units of the account's currency.
 * - `service_topups`: data packs bought, one row per purchase.
 */
const DEFINITION_TEXT = (dialect: string) => (dialect === 'mysql' ? DataTypes.TEXT('medium') : DataTypes.TEXT);

export async function up(ctx: MigrationContext): Promise<void> {
  const { queryInterface: q, dialect } = ctx;
  const options = await identityTableOptions(ctx);
  await q.createTable(
    'tariffs',
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      code: { type: DataTypes.STRING(64), allowNull: false, unique: true },
      name: { type: DataTypes.STRING(200), allowNull: false },
      currency: { type: DataTypes.CHAR(3), allowNull: false },
      /** draft | active | archived */
      status: { type: DataTypes.STRING(16), allowNull: false },
      current_version: { type: DataTypes.INTEGER, allowNull: false },
      created_at: { type: DataTypes.DATE(3), allowNull: false },
      updated_at: { type: DataTypes.DATE(3), allowNull: false },
    },
    options,
  );
  await q.createTable(
    'tariff_versions',
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      tariff_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'tariffs', key: 'id' }, onDelete: 'RESTRICT' },
      version: { type: DataTypes.INTEGER, allowNull: false },
      definition: { type: DEFINITION_TEXT(dialect), allowNull: false },
      effective_from: { type: DataTypes.DATE(3), allowNull: false },
      created_by: { type: DataTypes.STRING(100), allowNull: false },
      created_at: { type: DataTypes.DATE(3), allowNull: false },
    },
    options,
  );
  await q.addIndex('tariff_versions', ['tariff_id', 'version'], { unique: true, name: 'tariff_versions_tariff_version' });

  await q.createTable(
    'extra_charges',
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      account_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'accounts', key: 'id' }, onDelete: 'RESTRICT' },
      service_id: { type: DataTypes.INTEGER, allowNull: true, references: { model: 'services', key: 'id' }, onDelete: 'RESTRICT' },
      code: { type: DataTypes.STRING(64), allowNull: false },
      description: { type: DataTypes.STRING(200), allowNull: false },
      /** Decimal text in major units of the account's currency ("5.00"): never a float. */
      price: { type: DataTypes.STRING(40), allowNull: false },
      tax_inclusive: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      recurring: { type: DataTypes.BOOLEAN, allowNull: false },
      /** Recurring: billed per period over [from_date, to_date), local dates, prorated like the fee. */
      from_date: { type: DataTypes.DATEONLY, allowNull: true },
      to_date: { type: DataTypes.DATEONLY, allowNull: true },
      /** One-off: billed once, on the first invoice at or after it. */
      at_time: { type: DataTypes.DATE(3), allowNull: true },
      /** active | removed */
      status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'active' },
      created_by: { type: DataTypes.STRING(100), allowNull: false },
      created_at: { type: DataTypes.DATE(3), allowNull: false },
      updated_at: { type: DataTypes.DATE(3), allowNull: false },
    },
    options,
  );
  await q.addIndex('extra_charges', ['account_id', 'status'], { name: 'extra_charges_account' });

  await q.createTable(
    'service_topups',
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      service_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'services', key: 'id' }, onDelete: 'RESTRICT' },
      code: { type: DataTypes.STRING(64), allowNull: false },
      bought_at: { type: DataTypes.DATE(3), allowNull: false },
      created_by: { type: DataTypes.STRING(100), allowNull: false },
      created_at: { type: DataTypes.DATE(3), allowNull: false },
    },
    options,
  );
  await q.addIndex('service_topups', ['service_id', 'bought_at'], { name: 'service_topups_service_time' });

  await draftsFromServices(ctx);
}

/** Free-text tariff strings of services become draft tariffs (see above). */
async function draftsFromServices({ queryInterface: q }: MigrationContext): Promise<void> {
  const used = await q.sequelize.query<{ code: string; currency: string }>(
    `SELECT s.tariff AS code, a.currency AS currency
       FROM services s JOIN accounts a ON a.id = s.account_id
      WHERE s.tariff IS NOT NULL AND s.tariff <> ''
      ORDER BY s.id`,
    { type: QueryTypes.SELECT },
  );
  const firstCurrency = new Map<string, string>();
  for (const row of used) if (!firstCurrency.has(row.code)) firstCurrency.set(row.code, row.currency);
  const now = new Date();
  const codes = [...firstCurrency.keys()];
  for (let i = 0; i < codes.length; i += 500) {
    const chunk = codes.slice(i, i + 500);
    await q.bulkInsert('tariffs', chunk.map((code) => ({ code, name: code, currency: firstCurrency.get(code)!, status: 'draft', current_version: 1, created_at: now, updated_at: now })));
    const ids = await q.sequelize.query<{ id: number; code: string }>(`SELECT id, code FROM tariffs WHERE code IN (${chunk.map(() => '?').join(', ')})`, {
      replacements: chunk,
      type: QueryTypes.SELECT,
    });
    await q.bulkInsert(
      'tariff_versions',
      ids.map((r) => ({
        tariff_id: r.id,
        version: 1,
        // The same text plugin/tariffs/definition.ts draftDefinition writes.
        definition: JSON.stringify({ code: r.code, name: r.code, version: '1', currency: firstCurrency.get(r.code)!, recurringFee: '0' }),
        effective_from: now,
        created_by: 'migration:0009',
        created_at: now,
      })),
    );
  }
}

/** The migrator runs forward only; this is for a hand rollback of this migration alone. */
export async function down({ queryInterface: q }: MigrationContext): Promise<void> {
  for (const table of ['service_topups', 'extra_charges', 'tariff_versions', 'tariffs']) await q.dropTable(table);
}
