import type { Request, Response, Router } from 'express';
import { hasRole, type StaffUser } from '../../auth/index.js';
import { ValidationError } from '../../common/errors.js';
import { requireRole } from '../../web/guards.js';
import { WEBHOOK_EVENTS, isWebhookEvent } from '../events.js';
import { DELIVERY_STATUSES, type DeliveryFilter, type DeliveryStatus } from '../webhooks.repository.js';
import type { EndpointView, WebhooksService } from '../webhooks.service.js';

export const WEBHOOKS_NAV = [{ href: '/webhooks', label: 'Webhooks', role: 'readonly' as const, order: 920 }];

const PAGE = 50;
const actor = (res: Response) => `user:${(res.locals.user as StaffUser).id}`;
const isAdmin = (res: Response) => !!res.locals.user && hasRole((res.locals.user as StaffUser).role, 'admin');

function idParam(raw: unknown): number {
  const s = String(raw);
  if (!/^[1-9]\d{0,9}$/.test(s)) throw new ValidationError('not an endpoint id', [{ field: 'id', message: 'must be a positive whole number' }]);
  return Number(s);
}

/** The log's filters from the query string; anything unknown is ignored, not an error page. */
export function deliveryFilter(q: Record<string, unknown>): DeliveryFilter & { page: number } {
  const status = typeof q.status === 'string' && (DELIVERY_STATUSES as readonly string[]).includes(q.status) ? (q.status as DeliveryStatus) : undefined;
  const type = isWebhookEvent(q.type) ? q.type : undefined;
  const endpointId = typeof q.endpoint === 'string' && /^[1-9]\d{0,9}$/.test(q.endpoint) ? Number(q.endpoint) : undefined;
  const eventId = typeof q.event === 'string' && /^evt_[0-9a-f]{24}$/.test(q.event) ? q.event : undefined;
  const page = typeof q.page === 'string' && /^[1-9]\d{0,5}$/.test(q.page) ? Number(q.page) : 1;
  return { status, type, endpointId, eventId, page };
}

function formEvents(body: Record<string, unknown>): string[] {
  const v = body.events;
  return Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : [];
}

/**
 * /webhooks: the endpoints (admins make, change and remove them; the secret is shown once, on
 * creation) and the delivery log with its filters and a replay button (admins). Read-only staff see both.
 */
export function webhooksPages(router: Router, deps: { webhooks: WebhooksService }): void {
  const admin = requireRole('admin');

  async function render(req: Request, res: Response, extra: { created?: { endpoint: EndpointView; secret: string }; errors?: Array<{ field: string; message: string }>; form?: Record<string, unknown> } = {}, status = 200) {
    const f = deliveryFilter(req.query as Record<string, unknown>);
    const { page, ...filter } = f;
    const [endpoints, log] = await Promise.all([deps.webhooks.endpoints(), deps.webhooks.deliveries(filter, { limit: PAGE, offset: (page - 1) * PAGE })]);
    res.status(status).render('webhooks/index', {
      title: 'Webhooks',
      endpoints,
      deliveries: log.rows,
      total: log.total,
      page,
      pages: Math.max(1, Math.ceil(log.total / PAGE)),
      filter: { status: f.status ?? '', type: f.type ?? '', endpoint: f.endpointId ? String(f.endpointId) : '', event: f.eventId ?? '' },
      statuses: DELIVERY_STATUSES,
      eventTypes: WEBHOOK_EVENTS,
      canEdit: isAdmin(res),
      created: extra.created ?? null,
      errors: extra.errors ?? [],
      form: extra.form ?? { url: '', events: [], description: '' },
    });
  }

  router.get('/webhooks', requireRole('readonly'), (req, res) => render(req, res));

  router.post('/webhooks', admin, async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const input = { url: body.url, events: formEvents(body), description: body.description, active: true };
    try {
      const created = await deps.webhooks.createEndpoint(input, actor(res));
      await render(req, res, { created });
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await render(req, res, { errors: err.issues, form: { url: String(body.url ?? ''), events: input.events, description: String(body.description ?? '') } }, 422);
    }
  });

  router.post('/webhooks/:id', admin, async (req, res) => {
    const id = idParam(req.params.id);
    const body = req.body as Record<string, unknown>;
    try {
      await deps.webhooks.updateEndpoint(id, { url: body.url, events: formEvents(body), description: body.description, active: body.active === 'on' }, actor(res));
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return render(req, res, { errors: err.issues }, 422);
    }
    res.redirect(303, '/webhooks');
  });

  router.post('/webhooks/:id/delete', admin, async (req, res) => {
    await deps.webhooks.deleteEndpoint(idParam(req.params.id), actor(res));
    res.redirect(303, '/webhooks');
  });

  router.post('/webhooks/deliveries/:id/replay', admin, async (req, res) => {
    const raw = String(req.params.id);
    if (!/^[1-9]\d{0,18}$/.test(raw)) throw new ValidationError('not a delivery id', [{ field: 'id', message: 'must be a positive whole number' }]);
    const d = await deps.webhooks.replay(raw, actor(res));
    res.redirect(303, `/webhooks?event=${encodeURIComponent(d.eventId)}`);
  });
}
