import { randomBytes } from 'node:crypto';
import type { AuditRepository } from '../audit/index.js';
import { NotFoundError, ValidationError, type FieldIssue } from '../common/errors.js';
import type { Clock } from '../common/clock.js';
import type { Database } from '../db/database.js';
import { isWebhookEvent, WEBHOOK_EVENTS } from './events.js';
import type { DeliveryFilter, DeliveryRow, EndpointRow, WebhooksRepository } from './webhooks.repository.js';

export interface EndpointInput {
  url: unknown;
  events: unknown;
  active?: unknown;
  description?: unknown;
}

/** An endpoint as pages and the API show it: never its secret. */
export type EndpointView = Omit<EndpointRow, 'secret'> & { secretHint: string };

export function endpointView({ secret, ...e }: EndpointRow): EndpointView {
  return { ...e, secretHint: `${secret.slice(0, 12)}…` };
}

function newSecret(): string {
  return `whsec_${randomBytes(24).toString('base64url')}`;
}

function parseEndpoint(input: EndpointInput): { url: string; events: string[]; active: boolean; description: string | null } {
  const issues: FieldIssue[] = [];
  const raw = typeof input.url === 'string' ? input.url.trim() : '';
  let url = '';
  try {
    const u = new URL(raw);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') issues.push({ field: 'url', message: 'must be an http:// or https:// address' });
    else if (u.username || u.password) issues.push({ field: 'url', message: 'must not carry a user name or password (the signature authenticates Octet)' });
    else if (raw.length > 2000) issues.push({ field: 'url', message: 'must be at most 2000 characters' });
    else url = u.toString();
  } catch {
    issues.push({ field: 'url', message: 'must be an address such as https://crm.example.net/octet-events' });
  }
  const list = Array.isArray(input.events) ? input.events : typeof input.events === 'string' ? input.events.split(',') : [];
  const events = [...new Set(list.map((e) => String(e).trim()).filter(Boolean))];
  if (events.length === 0) issues.push({ field: 'events', message: `choose at least one of ${WEBHOOK_EVENTS.join(', ')} (or *)` });
  const unknown = events.filter((e) => e !== '*' && !isWebhookEvent(e));
  if (unknown.length) issues.push({ field: 'events', message: `unknown event ${unknown.join(', ')}; known: ${WEBHOOK_EVENTS.join(', ')}` });
  const description = typeof input.description === 'string' && input.description.trim() !== '' ? input.description.trim() : null;
  if (description && description.length > 200) issues.push({ field: 'description', message: 'must be at most 200 characters' });
  const active = input.active === undefined ? true : input.active === true || input.active === 'true' || input.active === 'on' || input.active === '1';
  if (issues.length) throw new ValidationError('invalid webhook endpoint', issues);
  return { url, events: events.includes('*') ? ['*'] : events, active, description };
}

/** Endpoints (made, changed, removed by admins), the delivery log and replay by hand. */
export class WebhooksService {
  constructor(private readonly deps: { db: Database; repo: WebhooksRepository; audit: Pick<AuditRepository, 'record'>; clock: Clock; wake: () => void }) {}

  /** Makes an endpoint; the result carries its secret, which is shown this once. */
  async createEndpoint(input: EndpointInput, actor: string): Promise<{ endpoint: EndpointView; secret: string }> {
    const e = parseEndpoint(input);
    const secret = newSecret();
    const row = await this.deps.db.transaction(async (t) => {
      const r = await this.deps.repo.createEndpoint({ ...e, secret }, t);
      await this.deps.audit.record({ actor, action: 'webhook.endpoint.created', entityType: 'webhook_endpoint', entityId: r.id, details: { url: r.url, events: r.events, active: r.active } }, t);
      return r;
    });
    return { endpoint: endpointView(row), secret };
  }

  async updateEndpoint(id: number, input: EndpointInput, actor: string): Promise<EndpointView> {
    const e = parseEndpoint(input);
    return this.deps.db.transaction(async (t) => {
      const before = await this.deps.repo.endpoint(id, t);
      if (!before) throw new NotFoundError(`no webhook endpoint ${id}`);
      await this.deps.repo.updateEndpoint(id, e, t);
      await this.deps.audit.record({ actor, action: 'webhook.endpoint.updated', entityType: 'webhook_endpoint', entityId: id, details: { url: e.url, events: e.events, active: e.active } }, t);
      return endpointView((await this.deps.repo.endpoint(id, t))!);
    });
  }

  /** Removes an endpoint; its pending deliveries end as dead when the worker reaches them. */
  async deleteEndpoint(id: number, actor: string): Promise<void> {
    await this.deps.db.transaction(async (t) => {
      const before = await this.deps.repo.endpoint(id, t);
      if (!before) throw new NotFoundError(`no webhook endpoint ${id}`);
      await this.deps.repo.deleteEndpoint(id, t);
      await this.deps.audit.record({ actor, action: 'webhook.endpoint.deleted', entityType: 'webhook_endpoint', entityId: id, details: { url: before.url } }, t);
    });
  }

  async endpoints(): Promise<EndpointView[]> {
    return (await this.deps.repo.endpoints()).map(endpointView);
  }

  async endpoint(id: number): Promise<EndpointView> {
    const e = await this.deps.repo.endpoint(id);
    if (!e) throw new NotFoundError(`no webhook endpoint ${id}`);
    return endpointView(e);
  }

  deliveries(filter: DeliveryFilter, page: { limit: number; offset: number }): Promise<{ rows: DeliveryRow[]; total: number }> {
    return this.deps.repo.deliveries(filter, page);
  }

  /** Sends a delivery's event again to its endpoint, as a new delivery with the same event id. */
  async replay(deliveryId: string, actor: string): Promise<DeliveryRow> {
    const created = await this.deps.db.transaction(async (t) => {
      const d = await this.deps.repo.delivery(deliveryId, t);
      if (!d) throw new NotFoundError(`no webhook delivery ${deliveryId}`);
      const endpoint = await this.deps.repo.endpoint(d.endpointId, t);
      if (!endpoint) throw new ValidationError(`the endpoint of delivery ${deliveryId} was removed`, [{ field: 'id', message: 'its endpoint no longer exists' }]);
      await this.deps.repo.addDeliveries([{ eventId: d.eventId, endpointId: d.endpointId, createdBy: actor }], this.deps.clock.now(), t);
      await this.deps.audit.record({ actor, action: 'webhook.replayed', entityType: 'webhook_delivery', entityId: deliveryId, details: { eventId: d.eventId, type: d.type, endpointId: d.endpointId } }, t);
      const { rows } = await this.deps.repo.deliveries({ eventId: d.eventId, endpointId: d.endpointId }, { limit: 1, offset: 0 }, t);
      return rows[0]!;
    });
    this.deps.wake();
    return created;
  }
}
