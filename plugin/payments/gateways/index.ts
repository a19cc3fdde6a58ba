/** Payment gateway webhooks (Stripe, generic HMAC): built and mounted with statements (plugin/payments/statements/index.ts). */
export { gatewaysConfigSchema, type GatewaysConfig } from './config.js';
export { verifyStripeSignature, verifyGenericSignature, stripeSignatureHeader, hmacHex } from './signature.js';
export { stripeIntent, genericIntent, type Intent } from './events.js';
export { WebhookService, ReplayedDeliveryError, type RefundPort, type WebhookResult } from './webhook.service.js';
export { webhookRoutes, STRIPE_PATH, GENERIC_PATH } from './routes.js';
