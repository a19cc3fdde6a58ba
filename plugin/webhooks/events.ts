/** The events Octet posts to webhook endpoints, and the envelope every delivery carries. */
export const WEBHOOK_EVENTS = ['invoice.issued', 'payment.received', 'account.suspended', 'account.restored', 'usage.cap_crossed'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

export function isWebhookEvent(value: unknown): value is WebhookEventType {
  return typeof value === 'string' && (WEBHOOK_EVENTS as readonly string[]).includes(value);
}

/**
 * What the body of a delivery is: the event id (stable across retries and replays, so a
 * receiver dedupes on it), its type, when the change happened, and the event's data.
 */
export interface WebhookEnvelope {
  id: string;
  type: WebhookEventType;
  created: string;
  data: Record<string, unknown>;
}

/** Does an endpoint subscribed to `events` (types, or '*') receive `type`? */
export function subscribes(events: readonly string[], type: string): boolean {
  return events.includes('*') || events.includes(type);
}
