/**
 * Webhooks out: invoice.issued, payment.received, account.suspended, account.restored and
 * usage.cap_crossed, posted to the endpoints staff configure, signed (`Octet-Signature:
 * t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`), retried with backoff, logged.
 * Other modules depend only on `OutboxPort`: `enqueue(type, payload, t)` in their own transaction.
 */
export { WEBHOOK_EVENTS, isWebhookEvent, subscribes, type WebhookEnvelope, type WebhookEventType } from './events.js';
export { SIGNATURE_HEADER, signatureHeader, signatureOf, verifySignature } from './signature.js';
export { retryDelayMs, isExhausted } from './backoff.js';
export { webhooksConfigSchema, type WebhooksConfig } from './config.js';
export { createOutbox, newEventId, type OutboxPort } from './outbox.js';
export { fetchSender, type WebhookSender } from './sender.js';
export { WebhookWorker, WEBHOOKS_LEASE, envelopeOf, type PassResult } from './delivery.worker.js';
export { WebhooksRepository, DELIVERY_STATUSES, type DeliveryRow, type DeliveryStatus, type EndpointRow } from './webhooks.repository.js';
export { WebhooksService, endpointView, type EndpointView } from './webhooks.service.js';
export { buildWebhooks, webhooksModule, type WebhooksServices } from './module.js';
