import type { Response, Router } from 'express';
import { NotFoundError, ValidationError } from '../../common/errors.js';
import { apiToken, requireApiRole } from '../../api/router.js';
import type { DeliveryRow } from '../webhooks.repository.js';
import type { EndpointView, WebhooksService } from '../webhooks.service.js';
import { deliveryFilter } from './pages.js';

const actor = (res: Response) => `api:${apiToken(res).id}`;

export function endpointJson(e: EndpointView) {
  return { id: e.id, url: e.url, events: e.events, active: e.active, description: e.description, secretHint: e.secretHint, createdAt: e.createdAt.toISOString(), updatedAt: e.updatedAt.toISOString() };
}

export function deliveryJson(d: DeliveryRow) {
  return {
    id: d.id,
    eventId: d.eventId,
    type: d.type,
    endpointId: d.endpointId,
    attempt: d.attempt,
    status: d.status,
    responseCode: d.responseCode,
    durationMs: d.durationMs,
    error: d.error,
    nextAttemptAt: d.nextAttemptAt?.toISOString() ?? null,
    createdBy: d.createdBy,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
  };
}

function idOf(raw: unknown, what: string): number {
  const s = String(raw);
  if (!/^[1-9]\d{0,9}$/.test(s)) throw new NotFoundError(`no ${what} ${s}`);
  return Number(s);
}

/**
 * /api/v1/webhooks: endpoints (admin tokens make, change and remove them; the secret is in the
 * creation's answer only) and /api/v1/webhooks/deliveries (any token reads, admin replays).
 */
export function webhooksApi(router: Router, deps: { webhooks: WebhooksService }): void {
  const admin = requireApiRole('admin');
  router.get('/webhooks', async (_req, res) => {
    res.json({ endpoints: (await deps.webhooks.endpoints()).map(endpointJson) });
  });
  router.post('/webhooks', admin, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const { endpoint, secret } = await deps.webhooks.createEndpoint({ url: body.url, events: body.events, active: body.active, description: body.description }, actor(res));
    res.status(201).json({ endpoint: endpointJson(endpoint), secret });
  });
  router.get('/webhooks/deliveries', async (req, res) => {
    const q = req.query as Record<string, unknown>;
    const limit = typeof q.limit === 'string' && /^\d{1,4}$/.test(q.limit) ? Math.min(500, Math.max(1, Number(q.limit))) : 100;
    const offset = typeof q.offset === 'string' && /^\d{1,9}$/.test(q.offset) ? Number(q.offset) : 0;
    const { page: _page, ...filter } = deliveryFilter(q);
    const { rows, total } = await deps.webhooks.deliveries(filter, { limit, offset });
    res.json({ deliveries: rows.map(deliveryJson), total, limit, offset });
  });
  router.post('/webhooks/deliveries/:id/replay', admin, async (req, res) => {
    const raw = String(req.params.id);
    if (!/^[1-9]\d{0,18}$/.test(raw)) throw new NotFoundError(`no webhook delivery ${raw}`);
    res.status(202).json({ delivery: deliveryJson(await deps.webhooks.replay(raw, actor(res))) });
  });
  router.get('/webhooks/:id', async (req, res) => {
    res.json({ endpoint: endpointJson(await deps.webhooks.endpoint(idOf(req.params.id, 'webhook endpoint'))) });
  });
  router.patch('/webhooks/:id', admin, async (req, res) => {
    const id = idOf(req.params.id, 'webhook endpoint');
    const body = (req.body ?? {}) as Record<string, unknown>;
    const current = await deps.webhooks.endpoint(id);
    if (body.secret !== undefined) throw new ValidationError('the secret cannot be set', [{ field: 'secret', message: 'make a new endpoint for a new secret' }]);
    const updated = await deps.webhooks.updateEndpoint(
      id,
      { url: body.url ?? current.url, events: body.events ?? current.events, active: body.active ?? current.active, description: body.description === undefined ? current.description ?? undefined : body.description },
      actor(res),
    );
    res.json({ endpoint: endpointJson(updated) });
  });
  router.delete('/webhooks/:id', admin, async (req, res) => {
    await deps.webhooks.deleteEndpoint(idOf(req.params.id, 'webhook endpoint'), actor(res));
    res.status(204).end();
  });
}
