import type { PaymentsService } from '../../payments/index.js';
import type { HostPayment } from '../platform.js';
import type { UispWebhookPorts } from './webhook.service.js';

export const UISP_PAYMENT_SOURCE = 'uisp';

/**
 * The payments port of the webhook: a CRM payment becomes an Octet payment of the account whose
 * external id is the CRM client id, with source `uisp` and the CRM payment id as external id, so
 * that the payments module's unique (source, external id) makes a second delivery a duplicate.
 */
export function uispPaymentRecorder(deps: { payments: Pick<PaymentsService, 'record'>; accountIdOf: (customerExternalId: string) => Promise<number | null> }): UispWebhookPorts['recordPayment'] {
  return async (p: HostPayment) => {
    const accountId = await deps.accountIdOf(p.customerExternalId);
    if (accountId === null) return 'unknown-customer';
    const r = await deps.payments.record(
      { accountId, amountMinor: p.amountMinor, currency: p.currency, method: 'other', reference: p.reference, receivedAt: new Date(`${p.date}T00:00:00Z`), source: UISP_PAYMENT_SOURCE, externalId: p.externalId },
      'system:uisp',
    );
    return r.duplicate ? 'duplicate' : 'recorded';
  };
}
