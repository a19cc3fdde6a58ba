import { z } from 'zod';

/**
 * The webhook part of the `payments` section of the plugin's config file (plugin/config.ts).
 * Secrets belong in the environment (`webhookSecret: ${STRIPE_WEBHOOK_SECRET}`); they are never
 * logged, and neither are signatures.
 */
const secret = z.string().min(16, 'must be at least 16 characters (the gateway shows it once: copy it whole)');

export const gatewaysConfigSchema = z
  .strictObject({
    stripe: z
      .strictObject({
        /** The endpoint's signing secret (whsec_…); absent: POST /webhooks/stripe answers 404. */
        webhookSecret: secret.optional(),
        /** How old a signature's timestamp may be, in seconds (Stripe's libraries default to 300). */
        toleranceSeconds: z.number().int().min(1).max(3600).default(300),
      })
      .prefault({}),
    /** Other gateways, by name: POST /webhooks/generic/<name> signed with HMAC-SHA256 of `${timestamp}.${body}`. */
    gateways: z
      .record(
        z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'gateway names are lower-case letters, digits, - and _'),
        z.strictObject({
          secret,
          toleranceSeconds: z.number().int().min(1).max(3600).default(300),
          /** The payment method recorded for this gateway's payments. */
          method: z.enum(['card', 'paypal', 'bank_transfer', 'other']).default('other'),
        }),
      )
      .default({}),
  })
  .prefault({});

export type GatewaysConfig = z.output<typeof gatewaysConfigSchema>;
