import type { UsageRow } from '../../rating/index.js';
import type { InvoicesRepository } from '../invoices.repository.js';

/**
 * Reconciliation of a billing date: for every issued invoice of it, the bytes billed per service
 * and window (as counted at issue) plus the late adjustments carried since for that window
 * (on any later document) must equal the window's hourly usage now. A difference is usage that
 * arrived and is not on an invoice yet (it will be, on the next one, as an adjustment) or a fault.
 */
export interface Reconciliation {
  periodKey: string;
  invoices: number;
  windows: number;
  differences: Array<{ invoiceNumber: string; serviceId: number; from: string; to: string; billedBytes: string; usageBytes: string; adjustmentsBytes: string; differenceBytes: string }>;
}

export async function reconcile(
  periodKey: string,
  deps: { invoices: Pick<InvoicesRepository, 'usageOfPeriod' | 'adjustmentsFor'>; usage: { usageRows(serviceIds: number[], fromMs: number, toMs: number): Promise<Map<number, UsageRow[]>> } },
): Promise<Reconciliation> {
  const billed = (await deps.invoices.usageOfPeriod(periodKey)).filter((r) => r.kind === 'window');
  const byWindow = new Map<string, typeof billed>();
  for (const r of billed) byWindow.set(`${r.fromMs}:${r.toMs}`, [...(byWindow.get(`${r.fromMs}:${r.toMs}`) ?? []), r]);
  const adjustments = await deps.invoices.adjustmentsFor(billed.map((b) => ({ serviceId: b.serviceId, fromMs: b.fromMs, toMs: b.toMs })));
  const differences: Reconciliation['differences'] = [];
  for (const rows of byWindow.values()) {
    const { fromMs, toMs } = rows[0]!;
    const usage = await deps.usage.usageRows([...new Set(rows.map((r) => r.serviceId))], fromMs, toMs);
    for (const r of rows) {
      const now = (usage.get(r.serviceId) ?? []).reduce((a, u) => a + u.download + u.upload, 0n);
      const adj = adjustments.get(`${r.serviceId}:${fromMs}:${toMs}`) ?? 0n;
      const was = r.download + r.upload;
      if (now !== was + adj) {
        differences.push({ invoiceNumber: r.number, serviceId: r.serviceId, from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), billedBytes: was.toString(), usageBytes: now.toString(), adjustmentsBytes: adj.toString(), differenceBytes: (now - was - adj).toString() });
      }
    }
  }
  return { periodKey, invoices: new Set(billed.map((b) => b.invoiceId)).size, windows: billed.length, differences };
}
