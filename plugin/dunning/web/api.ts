import type { Router } from 'express';
import { OperationalError } from '../../common/errors.js';
import type { DunningService } from '../dunning.service.js';

/** GET /api/v1/dunning/preview: who would be reminded, suspended or restored now, and why (any token). */
export function dunningApi(router: Router, deps: { dunning: Pick<DunningService, 'evaluate'>; ready: { payments: boolean; enforcement: boolean } }): void {
  router.get('/dunning/preview', async (_req, res) => {
    if (!deps.ready.payments || !deps.ready.enforcement) throw new OperationalError('dunning needs the payments and enforcement modules', { retryable: false });
    const r = await deps.dunning.evaluate({ dryRun: true, actor: 'api' });
    res.json({
      at: r.at.toISOString(),
      accounts: r.accounts,
      decisions: r.decisions.map((d) => ({
        accountId: d.accountId,
        name: d.name,
        suspend: d.decision.suspend,
        restore: d.decision.restore,
        remind: d.decision.remind.map((m) => ({ invoiceId: m.invoiceId, number: m.number, dueDate: m.dueDate, offsetDays: m.offsetDays, amountMinor: m.amountMinor.toString() })),
        overdueMinor: d.decision.overdueMinor.toString(),
        currency: d.decision.currency,
        daysPastDue: d.decision.daysPastDue,
        reasons: d.decision.reasons,
      })),
    });
  });
}
