import type { InvoiceRecord } from '../../../../plugin/invoicing/index.js';
import type { TestPlugin } from '../../../support/plugin.js';
import { issue, newDocument } from '../invoicing/web/fixtures.js';

/** The fixture invoice totals EUR 99.25. */
export const TOTAL = 9925n;
/** Friday 2026-03-20, 11:00 in Berlin: inside the default suspension window (Mon-Fri 9-17). */
export const FRIDAY = '2026-03-20T10:00:00Z';

export async function overdueCustomer(plugin: TestPlugin, tag: string, dueDate = '2026-02-15'): Promise<{ accountId: number; serviceId: number; invoice: InvoiceRecord }> {
  const subs = plugin.services.subscribers.subscribers;
  const a = await subs.createAccount({ name: `Customer ${tag}`, currency: 'EUR', email: `${tag}@example.net` }, 'user:1');
  const s = await subs.createService(a.id, { login: `login-${tag}`, nasName: 'router-1', startDate: '2026-01-01' }, 'user:1');
  const [invoice] = await issue(plugin.ctx, plugin.services.invoicing.invoices, [{ ...newDocument(a.id, `k-${tag}`), dueDate }]);
  return { accountId: a.id, serviceId: s.id, invoice: invoice! };
}

export const payInFull = (plugin: TestPlugin, accountId: number, amountMinor = TOTAL) =>
  plugin.services.payments.record({ accountId, amountMinor, currency: 'EUR', method: 'bank_transfer', reference: 'SEPA', receivedAt: new Date(FRIDAY), source: 'manual', externalId: null }, 'user:1');
