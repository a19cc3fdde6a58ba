/** The UISP CRM host provider: its platform adapter, webhook endpoint, page assertions and settings. */
export { UispPlatform, type UispPlatformDeps } from './uisp-platform.js';
export { UispClient, type AppKeyType, type UispClientOptions } from './client.js';
export { UispApiError, UispAuthError, UispForbiddenError, UispNotFoundError, UispUnavailableError, UispValidationError } from './errors.js';
export { uispWebhookRoutes, UISP_WEBHOOK_PATH } from './webhook.routes.js';
export { UispWebhookService, parseForwardedEvent, type UispWebhookPorts, type WebhookOutcome } from './webhook.service.js';
export { uispPaymentRecorder, UISP_PAYMENT_SOURCE } from './payments-port.js';
export { checkAssertion, signAssertion, MemoryNonceStore, ASSERTION_AUDIENCE, type AssertionPayload, type NonceStore } from './assertion.js';
export { uispSettingsSchema, uispHostConfigSchema, type UispSettings, type UispHostConfig } from './config.js';
export { buildUispZip } from './package/build-zip.js';
export { DbNonceStore } from './nonces.repository.js';
export { mountUispWebhook, uispWebhookPortsFor } from './webhook-ports.js';
