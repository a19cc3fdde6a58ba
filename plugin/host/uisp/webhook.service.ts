import type { Logger } from '../../common/logger.js';
import type { BlockingState, BlockingTarget, HostPayment } from '../platform.js';
import type { UispClient } from './client.js';
import { UispNotFoundError } from './errors.js';
import { SUSPENDED, toHostPayment, type CrmPayment, type CrmService, type CrmWebhookEvent } from './mapping.js';

/** What a confirmed CRM event may change in Octet, wired by the composition root. */
export interface UispWebhookPorts {
  /** Records a CRM payment for the Octet account of its client, once per CRM payment id. */
  recordPayment(payment: HostPayment): Promise<'recorded' | 'duplicate' | 'unknown-customer'>;
  /** Mirrors the CRM's suspension state of a service into Octet's enforcement. */
  mirrorBlocking(target: BlockingTarget, state: BlockingState): Promise<void>;
  /** Reads one client and its services from the CRM again. */
  resyncCustomer(customerExternalId: string): Promise<void>;
}

/** The forwarded body, as the CRM posts it (uuid, changeType, entity, entityId, eventName, extraData). */
export interface ForwardedEvent {
  uuid: string;
  changeType: string;
  entity: string;
  entityId: number | null;
  eventName: string;
}

export type WebhookOutcome =
  | { status: 'done'; action: string; uuid: string }
  | { status: 'ignored'; reason: string; uuid: string }
  | { status: 'mismatch'; reason: string; uuid: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Reads the forwarded body; null with the reason when it is not a CRM webhook event. */
export function parseForwardedEvent(body: unknown): { event: ForwardedEvent } | { problem: string } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { problem: 'the body must be a JSON object' };
  const b = body as Record<string, unknown>;
  if (typeof b.uuid !== 'string' || !UUID.test(b.uuid)) return { problem: 'uuid must be the event UUID' };
  for (const f of ['changeType', 'entity', 'eventName'] as const) if (typeof b[f] !== 'string' || !(b[f] as string).length) return { problem: `${f} must be a non-empty string` };
  let entityId: number | null = null;
  if (b.entityId !== null && b.entityId !== undefined) {
    const n = typeof b.entityId === 'string' && /^\d{1,15}$/.test(b.entityId) ? Number(b.entityId) : b.entityId;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) return { problem: 'entityId must be a whole number or null' };
    entityId = n;
  }
  return { event: { uuid: b.uuid.toLowerCase(), changeType: b.changeType as string, entity: b.entity as string, entityId, eventName: b.eventName as string } };
}

/**
 * CRM webhooks carry no signature, so a forwarded event is believed only after the CRM confirms
 * it: GET /webhook-events/{uuid} with the app key must return the same entity, entity id and
 * change type. Octet then acts on what the CRM says now (the payment, the service), never on
 * the forwarded body: a replayed or rewritten event can at most make Octet read the truth again.
 */
export class UispWebhookService {
  constructor(private readonly deps: { client: UispClient; ports: UispWebhookPorts; logger: Logger }) {}

  async handle(event: ForwardedEvent): Promise<WebhookOutcome> {
    const { client, logger } = this.deps;
    let confirmed: CrmWebhookEvent;
    try {
      confirmed = await client.get<CrmWebhookEvent>(`webhook-events/${event.uuid}`);
    } catch (err) {
      if (err instanceof UispNotFoundError) {
        logger.warn('UISP webhook not confirmed by the CRM: ignored', { uuid: event.uuid, entity: event.entity, eventName: event.eventName });
        return { status: 'ignored', reason: 'the CRM does not know this event', uuid: event.uuid };
      }
      throw err;
    }
    const confirmedId = confirmed.entityId === null || confirmed.entityId === undefined ? null : Number(confirmed.entityId);
    if (String(confirmed.uuid).toLowerCase() !== event.uuid || confirmed.entity !== event.entity || confirmedId !== event.entityId || confirmed.changeType !== event.changeType) {
      logger.warn('UISP webhook differs from the CRM event of its uuid: ignored', {
        uuid: event.uuid,
        forwarded: { entity: event.entity, entityId: event.entityId, changeType: event.changeType },
        crm: { entity: confirmed.entity, entityId: confirmedId, changeType: confirmed.changeType },
      });
      return { status: 'mismatch', reason: 'entity, entity id or change type differ from the CRM event', uuid: event.uuid };
    }
    if (event.changeType === 'test') return { status: 'done', action: 'test', uuid: event.uuid };
    if (confirmedId === null) return { status: 'ignored', reason: 'the event names no entity', uuid: event.uuid };
    return this.act(confirmed.entity, confirmedId, event);
  }

  private async act(entity: string, id: number, event: ForwardedEvent): Promise<WebhookOutcome> {
    const { client, ports, logger } = this.deps;
    const done = (action: string): WebhookOutcome => {
      logger.info('UISP webhook applied', { uuid: event.uuid, eventName: event.eventName, entity, entityId: id, action });
      return { status: 'done', action, uuid: event.uuid };
    };
    try {
      if (entity === 'payment') {
        if (event.eventName !== 'payment.add' && event.eventName !== 'payment.edit') return { status: 'ignored', reason: `${event.eventName} changes nothing in Octet`, uuid: event.uuid };
        const payment = toHostPayment(await client.get<CrmPayment>(`payments/${id}`));
        if (!payment) return { status: 'ignored', reason: 'the payment has no client', uuid: event.uuid };
        const result = await ports.recordPayment(payment);
        if (result === 'unknown-customer') return { status: 'ignored', reason: `no Octet account for UISP client ${payment.customerExternalId}`, uuid: event.uuid };
        return done(result === 'duplicate' ? 'payment already recorded' : 'payment recorded');
      }
      if (entity === 'service') {
        const s = await client.get<CrmService>(`clients/services/${id}`);
        if (event.eventName === 'service.suspend' || event.eventName === 'service.suspend_cancel' || event.eventName === 'service.activate') {
          const state: BlockingState = s.status === SUSPENDED ? 'blocked' : 'active';
          await ports.mirrorBlocking({ customerExternalId: String(s.clientId), serviceExternalId: String(s.id) }, state);
          return done(`service ${state}`);
        }
        await ports.resyncCustomer(String(s.clientId));
        return done('customer resynced');
      }
      if (entity === 'client') {
        if (event.eventName === 'client.delete') return { status: 'ignored', reason: 'deleted clients are kept in Octet for their invoices', uuid: event.uuid };
        await ports.resyncCustomer(String(id));
        return done('customer resynced');
      }
    } catch (err) {
      if (err instanceof UispNotFoundError) return { status: 'ignored', reason: `the CRM has no ${entity} ${id} any more`, uuid: event.uuid };
      throw err;
    }
    return { status: 'ignored', reason: `${entity} events change nothing in Octet`, uuid: event.uuid };
  }
}


