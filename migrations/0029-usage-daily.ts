import { DataTypes } from 'sequelize';
import type { MigrationContext } from '../plugin/db/migrator.js';

/**
 * Daily sums of usage_hourly per service and UTC day, kept by the database itself.
 *
 * A billing run that needs only a window's totals (most tariffs) summed every 15-minute bucket
 * of the month: 720 to 2,880 rows per service, 72 million index entries for 100,000 services,
 * the largest part of the run's database time. With `usage_daily` the same total is the whole
 * UTC days of the window from this table (about 30 rows) plus the hours at its two ends from
 * usage_hourly (a window cut at a local midnight starts and ends inside a UTC day).
 *
 * Triggers on usage_hourly keep it, so every writer of usage_hourly (the rollup's rewrite and
 * upsert, an assignment moving hours to a service, a test or an operator's repair by hand) keeps
 * it exact in the same transaction, and no module has to remember to. A row whose service_id is
 * NULL (unassigned usage) counts nowhere; moving it to a service adds it there. The invariant a
 * spec checks on both databases: for every service and UTC day, usage_daily holds exactly
 * SUM(usage_hourly) of that day (a row may stay at zero after its hours left).
 *
 * The day is the UTC date of hour_start: DATE() on MariaDB; on SQLite the first ten characters
 * of the stored text, which is always UTC (`YYYY-MM-DD HH:MM:SS.mmm +00:00`, db/sql.ts sqlTime).
 *
 * The backfill is bounded, so that an upgrade over years of history does not sum all of it before
 * the plugin starts: it covers the 100 UTC days up to the latest bucket (what billing runs read),
 * and `usage_daily_state.complete_from` says from which day on the sums are whole. The billing
 * port reads days before it from usage_hourly. With no usage older than that, every day is whole
 * (complete_from 0001-01-01), as on a new installation.
 */
export const BACKFILL_DAYS = 100;

export async function up({ queryInterface: q, dialect }: MigrationContext): Promise<void> {
  await q.createTable('usage_daily', {
    service_id: { type: DataTypes.INTEGER, allowNull: false, primaryKey: true },
    day: { type: DataTypes.DATEONLY, allowNull: false, primaryKey: true },
    download: { type: DataTypes.BIGINT, allowNull: false },
    upload: { type: DataTypes.BIGINT, allowNull: false },
  });
  await q.createTable('usage_daily_state', {
    id: { type: DataTypes.INTEGER, primaryKey: true },
    complete_from: { type: DataTypes.DATEONLY, allowNull: false },
  });
  const run = (sql: string) => q.sequelize.query(sql);
  const [[span]] = (await q.sequelize.query('SELECT MIN(hour_start) AS lo, MAX(hour_start) AS hi FROM usage_hourly')) as [Array<{ lo: unknown; hi: unknown }>, unknown];
  const day = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v)).slice(0, 10);
  let from = '0001-01-01';
  if (span?.hi !== null && span?.hi !== undefined && span.lo !== null) {
    const bound = new Date(Date.parse(`${day(span.hi)}T00:00:00Z`) - BACKFILL_DAYS * 86_400_000).toISOString().slice(0, 10);
    if (day(span.lo) < bound) from = bound;
  }
  await q.sequelize.query('INSERT INTO usage_daily_state (id, complete_from) VALUES (1, ?)', { replacements: [from] });
  // By ranges of 1,000 service ids, so that each statement's grouping stays small and in memory.
  // Each chunk sets its days to the sum it read, over any row a trigger made meanwhile (an instance
  // still running the rollup during an upgrade): on MariaDB INSERT ... SELECT reads the buckets
  // with shared locks, so a change committed before it is in the sum, and one after it waits and
  // then adds its difference through the trigger.
  const keep = dialect === 'sqlite' ? 'ON CONFLICT(service_id, day) DO UPDATE SET download = excluded.download, upload = excluded.upload' : 'ON DUPLICATE KEY UPDATE download = VALUES(download), upload = VALUES(upload)';
  const backfill = async (dayOf: string, fromTime: string) => {
    const [[ids]] = (await q.sequelize.query('SELECT MIN(service_id) AS lo, MAX(service_id) AS hi FROM usage_hourly')) as [Array<{ lo: number | null; hi: number | null }>, unknown];
    if (ids?.lo === null || ids?.lo === undefined || ids.hi === null) return;
    for (let lo = Number(ids.lo); lo <= Number(ids.hi); lo += 1000) {
      await q.sequelize.query(
        `INSERT INTO usage_daily (service_id, day, download, upload) SELECT service_id, ${dayOf}, SUM(download), SUM(upload) FROM usage_hourly
          WHERE service_id >= ? AND service_id < ? AND hour_start >= ? GROUP BY service_id, ${dayOf} ${keep}`,
        { replacements: [lo, lo + 1000, fromTime] },
      );
    }
  };
  if (dialect === 'sqlite') {
    const dayOfRow = (row: 'NEW' | 'OLD') => `substr(${row}.hour_start, 1, 10)`;
    const add = `INSERT INTO usage_daily (service_id, day, download, upload) SELECT NEW.service_id, ${dayOfRow('NEW')}, NEW.download, NEW.upload WHERE NEW.service_id IS NOT NULL
                   ON CONFLICT(service_id, day) DO UPDATE SET download = download + excluded.download, upload = upload + excluded.upload;`;
    const take = `UPDATE usage_daily SET download = download - OLD.download, upload = upload - OLD.upload WHERE OLD.service_id IS NOT NULL AND service_id = OLD.service_id AND day = ${dayOfRow('OLD')};`;
    await run(`CREATE TRIGGER usage_hourly_daily_insert AFTER INSERT ON usage_hourly BEGIN ${add} END`);
    await run(`CREATE TRIGGER usage_hourly_daily_update AFTER UPDATE OF service_id, hour_start, download, upload ON usage_hourly BEGIN ${take} ${add} END`);
    await run(`CREATE TRIGGER usage_hourly_daily_delete AFTER DELETE ON usage_hourly BEGIN ${take} END`);
    await backfill("substr(hour_start, 1, 10)", `${from} 00:00:00.000 +00:00`);
    return;
  }
  const add = `INSERT INTO usage_daily (service_id, day, download, upload) VALUES (NEW.service_id, DATE(NEW.hour_start), NEW.download, NEW.upload)
                 ON DUPLICATE KEY UPDATE download = download + VALUES(download), upload = upload + VALUES(upload)`;
  const take = `UPDATE usage_daily SET download = download - OLD.download, upload = upload - OLD.upload WHERE service_id = OLD.service_id AND day = DATE(OLD.hour_start)`;
  await run(`CREATE TRIGGER usage_hourly_daily_insert AFTER INSERT ON usage_hourly FOR EACH ROW BEGIN IF NEW.service_id IS NOT NULL THEN ${add}; END IF; END`);
  // The rollup's common case, new counters for the same service and day: one update of one row by its key.
  await run(`CREATE TRIGGER usage_hourly_daily_update AFTER UPDATE ON usage_hourly FOR EACH ROW BEGIN
      IF OLD.service_id <=> NEW.service_id AND DATE(OLD.hour_start) = DATE(NEW.hour_start) THEN
        IF NEW.service_id IS NOT NULL AND (OLD.download <> NEW.download OR OLD.upload <> NEW.upload) THEN
          UPDATE usage_daily SET download = download + (NEW.download - OLD.download), upload = upload + (NEW.upload - OLD.upload) WHERE service_id = NEW.service_id AND day = DATE(NEW.hour_start);
        END IF;
      ELSE
        IF OLD.service_id IS NOT NULL THEN ${take}; END IF;
        IF NEW.service_id IS NOT NULL THEN ${add}; END IF;
      END IF;
    END`);
  await run(`CREATE TRIGGER usage_hourly_daily_delete AFTER DELETE ON usage_hourly FOR EACH ROW BEGIN IF OLD.service_id IS NOT NULL THEN ${take}; END IF; END`);
  await backfill('DATE(hour_start)', `${from} 00:00:00.000`);
}
