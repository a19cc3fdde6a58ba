import type { MigrationContext } from '../plugin/db/migrator.js';

/**
 * A billing run sums every service's month of 15-minute buckets (plugin/usage/billing-port.ts
 * usageTotals and usageRows): with download and upload in the index, those sums are a range
 * scan of the index alone, without a lookup of each row. It replaces the (service_id,
 * hour_start) index it extends.
 */
export async function up({ queryInterface: q }: MigrationContext): Promise<void> {
  await q.addIndex('usage_hourly', ['service_id', 'hour_start', 'download', 'upload'], { name: 'usage_hourly_service_cover' });
  await q.removeIndex('usage_hourly', 'usage_hourly_service_hour');
}
