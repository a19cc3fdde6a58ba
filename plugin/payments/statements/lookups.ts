import type { InvoicesRepository } from '../../invoicing/index.js';
import type { SubscribersBillingPort, SubscribersParts } from '../../subscribers/index.js';
import type { MatchLookups } from './ports.js';

/** Matching's look-ups, made of invoicing's and subscribers' ports (never their tables). */
export function matchLookups(ports: {
  invoices: Pick<InvoicesRepository, 'list'>;
  accounts: Pick<SubscribersBillingPort, 'profiles'>;
  subscribers: Pick<SubscribersParts['subscribers'], 'listAccounts'>;
}): MatchLookups {
  return {
    async invoiceByNumber(number, t) {
      const { rows } = await ports.invoices.list({ number, type: 'invoice' }, { limit: 1, offset: 0 }, t);
      const r = rows[0];
      return r && r.number ? { id: r.id, accountId: r.accountId, number: r.number, currency: r.currency, status: r.status } : null;
    },
    async accountById(id) {
      const p = (await ports.accounts.profiles([id])).get(id);
      return p ? { id: p.accountId, currency: p.currency } : null;
    },
    async accountByExternalId(externalId) {
      const page = await ports.subscribers.listAccounts({ externalId }, 2);
      // Two accounts with one external id cannot happen (unique), but a match must be one account.
      return page.items.length === 1 ? { id: page.items[0]!.id, currency: page.items[0]!.currency } : null;
    },
  };
}
