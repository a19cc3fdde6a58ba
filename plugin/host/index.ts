/**
 * The host module's port. The host platform interface and its providers (standalone, Splynx,
 * UISP CRM) are exported here for the composition root; the add-on builders (the Splynx .deb and
 * the UISP CRM plugin ZIP) for `octet package`. Shared by two authors: add exports, keep others'.
 */
export { buildSplynxDeb, type BuiltPackage } from './splynx/package/build-deb.js';
export { buildUispZip } from './uisp/package/build-zip.js';
export { UispPlatform, UispClient, uispWebhookRoutes, uispPaymentRecorder, UISP_WEBHOOK_PATH, type UispWebhookPorts } from './uisp/index.js';
