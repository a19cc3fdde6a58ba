import { z } from 'zod';

/** The `webhooks` section of the plugin's config: how deliveries are made and retried. */
export const webhooksConfigSchema = z
  .strictObject({
    /** Whether `octet serve` runs the delivery worker (events are written to the outbox either way). */
    enabled: z.boolean().default(true),
    /** How often the worker looks for due deliveries (it is also woken when an event commits). */
    pollSeconds: z.number().int().min(1).max(3600).default(5),
    /** Attempts before a delivery is dead (replay by hand still works). */
    maxAttempts: z.number().int().min(1).max(50).default(10),
    /** First retry after about this long; each further one waits twice as long, up to maxDelaySeconds. */
    baseDelaySeconds: z.number().int().min(1).max(86_400).default(30),
    maxDelaySeconds: z.number().int().min(1).max(604_800).default(6 * 3600),
    /** A receiver that has not answered in this time counts as failed. */
    timeoutSeconds: z.number().int().min(1).max(120).default(10),
    /** Deliveries per worker pass. */
    batch: z.number().int().min(1).max(1000).default(50),
    leaseSeconds: z.number().int().min(10).max(3600).default(120),
  })
  .prefault({});

export type WebhooksConfig = z.infer<typeof webhooksConfigSchema>;
