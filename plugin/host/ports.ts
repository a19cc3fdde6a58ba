import { DateTime } from 'luxon';
import type { InvoicesRepository } from '../invoicing/index.js';
import type { PaymentsServices } from '../payments/index.js';
import type { EnforcementServices } from '../enforcement/index.js';
import type { SubscribersServices } from '../subscribers/index.js';
import type { HostSyncPorts, SyncAccount, SyncService } from './sync.service.js';

const ISSUED = new Set(['issued', 'sent', 'paid']);
const PAGE = 200;

/**
 * The sync's view of the other modules, through their ports only (subscribers' service,
 * invoicing's invoices repository as its port exports it, payments, enforcement).
 */
export function hostSyncPorts(m: {
  subscribers: SubscribersServices;
  invoices: Pick<InvoicesRepository, 'list' | 'snapshot'>;
  payments: Pick<PaymentsServices, 'record'>;
  enforcement: Pick<EnforcementServices, 'setDesired'>;
}): HostSyncPorts {
  const subs = m.subscribers.subscribers;
  const account = (a: SyncAccount) => a;
  const service = (s: SyncService) => s;
  return {
    subscribers: {
      getAccount: async (id) => account(await subs.getAccount(id)),
      createAccount: async (raw, actor) => account(await subs.createAccount(raw, actor)),
      updateAccount: async (id, raw, actor) => account(await subs.updateAccount(id, raw, actor)),
      findAccountByExternalId: async (externalId) => (await subs.listAccounts({ externalId }, 1)).items.find((a) => a.externalId === externalId) ?? null,
      getService: async (id) => service(await subs.getService(id)),
      createService: async (accountId, raw, actor) => service(await subs.createService(accountId, raw, actor)),
      updateService: async (id, raw, actor) => service(await subs.updateService(id, raw, actor)),
      endService: async (id, raw, actor) => service(await subs.endService(id, raw, actor)),
      earliestEndDate: (id) => subs.earliestEndDate(id),
      findLiveServiceByLogin: async (login) => (await subs.listServices({ login }, 100)).items.find((s) => s.login === login && s.status !== 'ended') ?? null,
      liveServicesOf: async (accountId) => (await subs.servicesOf(accountId)).filter((s) => s.status !== 'ended'),
    },
    invoices: {
      // The invoices port lists newest first by offset; walk down to the cursor and hand the
      // ones above it back oldest first. No type filter: invoices and credit notes share the
      // table and its id series, so one cursor covers both.
      async issuedAfter(afterId, limit) {
        const after = BigInt(afterId);
        const found: Awaited<ReturnType<HostSyncPorts['invoices']['issuedAfter']>> = [];
        for (let offset = 0; ; offset += PAGE) {
          const { rows } = await m.invoices.list({}, { limit: PAGE, offset });
          let reached = rows.length < PAGE;
          for (const r of rows) {
            if (BigInt(r.id) <= after) {
              reached = true;
              break;
            }
            // An invoice voided after it was issued (number given) was voided by its credit note,
            // which the host gets too: the host gets both, so its ledger nets them out as Octet's does.
            if (ISSUED.has(r.status) || (r.status === 'void' && r.issuedAt !== null && r.number !== null)) found.push({ id: r.id, type: r.type, accountId: r.accountId, number: r.number, issueDate: r.issueDate, dueDate: r.dueDate, currency: r.currency });
          }
          if (reached) break;
        }
        return found.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1)).slice(0, limit);
      },
      async lines(invoiceId) {
        const snap = await m.invoices.snapshot(invoiceId);
        const doc = snap.document;
        const percent = doc.taxes.find((t) => t.percent !== null)?.percent ?? '0';
        const day = (ms: number) => DateTime.fromMillis(ms, { zone: snap.timezone }).toISODate();
        return doc.lines.map((l, i) => ({
          description: l.description,
          quantity: l.quantity.toFixed(),
          unit: l.unit,
          netMinor: doc.lineTaxes[i]?.netMinor ?? l.amountMinor,
          taxPercent: percent,
          periodFrom: l.fromMs ? day(l.fromMs) : null,
          periodTo: l.toMs ? day(Math.max(l.fromMs, l.toMs - 1)) : null,
          serviceId: snap.lineServices[i] ?? null,
        }));
      },
    },
    payments: { record: (p, actor) => m.payments.record(p, actor) },
    enforcement: { setDesired: (input) => m.enforcement.setDesired(input) },
  };
}
