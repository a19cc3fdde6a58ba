import type { Router } from 'express';
import type { AuditRepository } from '../audit/index.js';
import type { Logger } from '../common/logger.js';
import type { AccountImportService } from './import/import.service.js';
import type { StagedImportService } from './import/staged-import.service.js';
import type { SubscribersService } from './subscribers.service.js';
import type { UnclaimedLoginsService } from './unclaimed.service.js';
import type { UsageBinding } from './usage-binding.js';
import { accountPages, type AccountPagesDeps } from './web/account-pages.js';
import { importPages } from './web/import-pages.js';
import { inventoryPages } from './web/inventory-pages.js';

export { importUploadParser } from './web/import-pages.js';

export interface SubscriberPagesDeps {
  subscribers: SubscribersService;
  importer: AccountImportService;
  unclaimed: UnclaimedLoginsService;
  staged: StagedImportService;
  usage: UsageBinding;
  audit: AuditRepository;
  staff: AccountPagesDeps['staff'];
  tokens: AccountPagesDeps['tokens'];
  timezone: string;
  logger: Logger;
}

/** The module's admin pages (behind login and CSRF; writes need the billing role). */
export function subscriberPages(router: Router, deps: SubscriberPagesDeps): void {
  // Literal paths (/accounts/new, /import/...) are registered before parameterised ones.
  importPages(router, deps);
  inventoryPages(router, deps);
  accountPages(router, deps);
}
