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
 */
export async function up({ queryInterface: q, dialect }: MigrationContext): Promise<void> {
  await q.createTable('usage_daily', {
    service_id: { type: DataTypes.INTEGER, allowNull: false, primaryKey: true },
    day: { type: DataTypes.DATEONLY, allowNull: false, primaryKey: true },
    download: { type: DataTypes.BIGINT, allowNull: false },
    upload: { type: DataTypes.BIGINT, allowNull: false },
  });
  const run = (sql: string) => q.sequelize.query(sql);
  if (dialect === 'sqlite') {
    const day = (row: 'NEW' | 'OLD') => `substr(${row}.hour_start, 1, 10)`;
    const add = `INSERT INTO usage_daily (service_id, day, download, upload) SELECT NEW.service_id, ${day('NEW')}, NEW.download, NEW.upload WHERE NEW.service_id IS NOT NULL
                   ON CONFLICT(service_id, day) DO UPDATE SET download = download + excluded.download, upload = upload + excluded.upload;`;
    const take = `UPDATE usage_daily SET download = download - OLD.download, upload = upload - OLD.upload WHERE OLD.service_id IS NOT NULL AND service_id = OLD.service_id AND day = ${day('OLD')};`;
    await run(`CREATE TRIGGER usage_hourly_daily_insert AFTER INSERT ON usage_hourly BEGIN ${add} END`);
    await run(`CREATE TRIGGER usage_hourly_daily_update AFTER UPDATE OF service_id, hour_start, download, upload ON usage_hourly BEGIN ${take} ${add} END`);
    await run(`CREATE TRIGGER usage_hourly_daily_delete AFTER DELETE ON usage_hourly BEGIN ${take} END`);
    await run(`INSERT INTO usage_daily (service_id, day, download, upload) SELECT service_id, substr(hour_start, 1, 10), SUM(download), SUM(upload) FROM usage_hourly WHERE service_id IS NOT NULL GROUP BY 1, 2`);
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
  await run(`INSERT INTO usage_daily (service_id, day, download, upload) SELECT service_id, DATE(hour_start), SUM(download), SUM(upload) FROM usage_hourly WHERE service_id IS NOT NULL GROUP BY service_id, DATE(hour_start)`);
}
