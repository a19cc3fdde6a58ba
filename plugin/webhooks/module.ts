import type { PluginContext } from '../context.js';
import { LeaseRepository } from '../jobs/index.js';
import type { InstalledModule, PluginModule } from '../modules.js';
import { WebhookWorker } from './delivery.worker.js';
import { createOutbox } from './outbox.js';
import { fetchSender, type WebhookSender } from './sender.js';
import { WebhooksRepository } from './webhooks.repository.js';
import { WebhooksService } from './webhooks.service.js';
import { webhooksApi } from './web/api.js';
import { WEBHOOKS_NAV, webhooksPages } from './web/pages.js';

/** Builds the outbox, the endpoints service and the delivery worker (a spec may pass its own sender). */
export function buildWebhooks(ctx: PluginContext, options: { sender?: WebhookSender; random?: () => number } = {}) {
  const { db, clock, logger } = ctx;
  const config = ctx.config.webhooks;
  const repo = new WebhooksRepository({ db, clock });
  const worker = new WebhookWorker({ db, repo, leases: new LeaseRepository(db), sender: options.sender ?? fetchSender, clock, logger, config, random: options.random });
  const wake = () => worker.wake();
  const outbox = createOutbox({ repo, clock, wake });
  const service = new WebhooksService({ db, repo, audit: ctx.repos.audit, clock, wake });
  return { repo, outbox, service, worker, config };
}

export type WebhooksServices = ReturnType<typeof buildWebhooks>;

/** Webhooks out: the /webhooks page, /api/v1/webhooks and the delivery worker. */
export const webhooksModule: PluginModule = {
  name: 'webhooks',
  install(_ctx: PluginContext, services): InstalledModule {
    const w = services.webhooks;
    return {
      nav: WEBHOOKS_NAV,
      pages: (router) => webhooksPages(router, { webhooks: w.service }),
      api: (router) => webhooksApi(router, { webhooks: w.service }),
      start: () => {
        if (w.config.enabled) w.worker.start();
      },
      stop: () => w.worker.stop(),
    };
  },
};
