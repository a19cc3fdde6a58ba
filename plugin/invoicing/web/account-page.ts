import type { Router } from 'express';
import { formatBytes } from '../../common/bytes.js';
import { NotFoundError } from '../../common/errors.js';
import { cycleFor, periodAt } from '../../rating/index.js';
import { accountBalance } from '../reports/balance.js';
import { barChartSvg } from '../reports/chart.js';
import type { InvoicingWebDeps } from './deps.js';
import { invoiceRow, money } from './filters.js';

const ID = /^[1-9]\d{0,9}$/;
const DOCUMENTS_SHOWN = 100;

/** An account's billing: its invoices and credit notes, its balance, and this period's usage per day. */
export function accountBillingPage(router: Router, deps: InvoicingWebDeps): void {
  router.get('/accounts/:id/billing', async (req, res, next) => {
    if (!ID.test(String(req.params.id))) return next();
    const accountId = Number(req.params.id);
    const profile = (await deps.accounts.profiles([accountId])).get(accountId);
    if (!profile) throw new NotFoundError(`There is no account ${accountId}.`);
    const [documents, all] = await Promise.all([deps.invoices.list({ accountId }, { limit: DOCUMENTS_SHOWN, offset: 0 }), deps.reports.accountDocuments(accountId)]);
    // Calendar periods: the cycle the billing run uses for accounts (periods keyed by their first local day).
    const period = periodAt(deps.clock.now().getTime(), cycleFor('calendar', deps.timezone, 0));
    const usage = deps.usage ? await deps.usage.accountUsage(accountId, period.fromMs, period.toMs) : null;
    const chart = usage
      ? barChartSvg({
          title: `Usage per day, ${period.fromDate} to ${period.toDate} (download + upload)`,
          bars: usage.days.map((d) => ({ label: d.date.slice(8), value: d.download + d.upload })),
          format: formatBytes,
        })
      : null;
    res.render('billing/account', {
      title: `Billing: ${profile.name}`,
      account: { id: accountId, name: profile.name, currency: profile.currency, invoicesTo: profile.billingEmail ?? profile.email ?? '(no e-mail)' },
      invoices: documents.rows.filter((r) => r.type === 'invoice').map((r) => invoiceRow(r, profile.name)),
      creditNotes: documents.rows.filter((r) => r.type === 'credit_note').map((r) => ({ ...invoiceRow(r, profile.name), corrects: r.creditedInvoiceId })),
      more: documents.total > DOCUMENTS_SHOWN ? `/invoices?accountId=${accountId}` : null,
      balances: accountBalance(all).map((b) => ({ currency: b.currency, open: money(b.openInvoicesMinor, b.currency), credits: money(b.openCreditsMinor, b.currency), balance: money(b.balanceMinor, b.currency) })),
      usageChart: chart,
      usageTotal: usage ? formatBytes(usage.download + usage.upload) : '',
    });
  });
}
