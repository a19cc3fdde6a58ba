import { cycleFor, periodAt } from '../../rating/index.js';
import { comparePeriods } from '../reports/aggregate.js';
import type { InvoicingWebDeps } from './deps.js';
import { money } from './filters.js';

/**
 * The dashboard's invoicing widget: this period's invoiced total (credit notes subtracted)
 * against the last period's, per currency. No widget before the first invoice.
 */
export function invoicingDashboard(deps: Pick<InvoicingWebDeps, 'reports' | 'clock' | 'timezone'>) {
  return async (): Promise<Array<{ view: string; model: Record<string, unknown> }>> => {
    const spec = cycleFor('calendar', deps.timezone, 0);
    const current = periodAt(deps.clock.now().getTime(), spec);
    const previous = periodAt(current.fromMs - 1, spec);
    const rows = comparePeriods(await deps.reports.periodTotals([current.fromDate, previous.fromDate]), current.fromDate, previous.fromDate);
    if (rows.length === 0) return [];
    return [
      {
        view: 'billing/period-widget',
        model: {
          currentKey: current.fromDate,
          previousKey: previous.fromDate,
          rows: rows.map((r) => ({
            currency: r.currency,
            current: money(r.currentMinor, r.currency),
            previous: money(r.previousMinor, r.currency),
            change: `${r.changeMinor > 0n ? '+' : ''}${money(r.changeMinor, r.currency)}`,
            percent: r.changePercent ?? '',
          })),
        },
      },
    ];
  };
}
