import type { Express } from 'express';
import type { Logger } from '../../common/logger.js';
import type { PaymentsService } from '../../payments/index.js';
import type { HostPlatform } from '../platform.js';
import type { HostSyncService } from '../sync.service.js';
import { uispPaymentRecorder } from './payments-port.js';
import type { UispPlatform } from './uisp-platform.js';
import { uispWebhookRoutes } from './webhook.routes.js';
import type { UispWebhookPorts } from './webhook.service.js';

/**
 * The webhook's ports from what the composition root built: payments through the payments
 * module (source `uisp` and the CRM payment id, as the host sync records them, so the webhook
 * and the sync never record one payment twice), and client and service changes through the host
 * sync of that one client, which also mirrors the CRM's suspension into enforcement (per client:
 * the sync blocks a client that has a suspended service).
 *
 * Accounts: the sync gives a CRM client the Octet external id `uisp:<client id>`; a client not
 * synced yet is synced first, so a payment that arrives before the next sync run still lands.
 */
export function uispWebhookPortsFor(deps: {
  platform: Pick<HostPlatform, 'getCustomer' | 'listServices'>;
  sync: Pick<HostSyncService, 'upsertCustomer' | 'upsertService'>;
  payments: Pick<PaymentsService, 'record'>;
  findAccountByExternalId: (externalId: string) => Promise<{ id: number } | null>;
}): UispWebhookPorts {
  const resync = async (customerExternalId: string): Promise<boolean> => {
    const customer = await deps.platform.getCustomer(customerExternalId);
    if (!customer) return false;
    await deps.sync.upsertCustomer(customer);
    for (let cursor: string | null = null; ; ) {
      const page = await deps.platform.listServices({ customerExternalId, cursor });
      for (const s of page.items) await deps.sync.upsertService(s);
      if (!page.nextCursor) return true;
      cursor = page.nextCursor;
    }
  };
  const accountIdOf = async (customerExternalId: string): Promise<number | null> => {
    const known = await deps.findAccountByExternalId(`uisp:${customerExternalId}`);
    if (known) return known.id;
    if (!(await resync(customerExternalId))) return null;
    return (await deps.findAccountByExternalId(`uisp:${customerExternalId}`))?.id ?? null;
  };
  return {
    recordPayment: uispPaymentRecorder({ payments: deps.payments, accountIdOf }),
    mirrorBlocking: async (target) => void (await resync(target.customerExternalId)),
    resyncCustomer: async (id) => void (await resync(id)),
  };
}

/**
 * Mounts POST /host/uisp/webhook on the app with the ports above (for the host module's `raw`
 * contribution when host.kind is uisp). Accounts are found the way the host sync names them.
 */
export function mountUispWebhook(
  app: Pick<Express, 'use'>,
  deps: {
    platform: UispPlatform;
    sync: Pick<HostSyncService, 'upsertCustomer' | 'upsertService'>;
    payments: Pick<PaymentsService, 'record'>;
    subscribers: { listAccounts(filter: { externalId: string }, limit: number): Promise<{ items: Array<{ id: number; externalId: string | null }> }> };
    logger: Logger;
  },
): void {
  const ports = uispWebhookPortsFor({
    platform: deps.platform,
    sync: deps.sync,
    payments: deps.payments,
    findAccountByExternalId: async (externalId) => (await deps.subscribers.listAccounts({ externalId }, 1)).items.find((a) => a.externalId === externalId) ?? null,
  });
  app.use(uispWebhookRoutes({ client: deps.platform.client, ports, logger: deps.logger.child({ host: 'uisp', part: 'webhook' }) }));
}
