import { isKnownCurrency } from '../../common/money.js';
import { exactMinor } from '../statements/amounts.js';
import type { PaymentMethod } from '../statements/ports.js';

/**
 * What a gateway's event means for us, pure. Stripe amounts are integers in the currency's
 * smallest unit (https://docs.stripe.com/currencies#zero-decimal), which is our minor unit; the
 * generic gateway sends decimal text. Who paid comes from metadata.accountId (or
 * client_reference_id on a Checkout Session) or metadata.invoiceNumber.
 */
export interface GatewayEvent {
  eventId: string;
  type: string;
}

export interface PaymentIntent {
  kind: 'payment';
  /** The payment's externalId: the PaymentIntent id, shared by its Checkout Session, so both events record one payment. */
  objectId: string;
  amountMinor: bigint;
  currency: string;
  accountId: number | null;
  invoiceNumber: string | null;
  method: PaymentMethod;
  reference: string | null;
  receivedAt: Date;
}

export interface RefundIntent {
  kind: 'refund';
  /** The PaymentIntent refunded, whose payment is refunded. */
  objectId: string;
  refunds: Array<{ id: string; amountMinor: bigint }>;
  currency: string;
}

export type Intent = PaymentIntent | RefundIntent | { kind: 'ignore'; reason: string };
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);

function accountIdOf(v: unknown): number | null {
  const s = typeof v === 'number' ? String(v) : str(v);
  return s && /^\d{1,15}$/.test(s) && Number(s) > 0 ? Number(s) : null;
}

function stripeMinor(v: unknown): bigint | null {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? BigInt(v) : null;
}

function currencyOf(v: unknown): string | null {
  const c = str(v)?.toUpperCase() ?? null;
  return c && isKnownCurrency(c) ? c : null;
}

export function stripeEvent(body: unknown): Parsed<GatewayEvent & { object: Obj; created: number | null }> {
  const e = obj(body);
  const id = str(e?.id);
  const type = str(e?.type);
  const object = obj(obj(e?.data)?.object);
  if (!e || !id || !type || !object) return { ok: false, reason: 'not a Stripe event (id, type, data.object)' };
  return { ok: true, value: { eventId: id, type, object, created: typeof e.created === 'number' ? e.created : null } };
}

export function stripeIntent(type: string, o: Obj, created: number | null): Intent {
  const meta = obj(o.metadata) ?? {};
  const who = { accountId: accountIdOf(meta.accountId ?? meta.account_id), invoiceNumber: str(meta.invoiceNumber ?? meta.invoice_number) };
  const at = new Date(((typeof o.created === 'number' ? o.created : created) ?? 0) * 1000);
  const currency = currencyOf(o.currency);
  if (type === 'payment_intent.succeeded') {
    const amount = stripeMinor(o.amount_received ?? o.amount);
    if (!str(o.id) || amount === null || !currency) return { kind: 'ignore', reason: 'a payment intent without id, amount or known currency' };
    return { kind: 'payment', objectId: str(o.id)!, amountMinor: amount, currency, ...who, method: 'card', reference: str(o.description) ?? str(o.id), receivedAt: at };
  }
  if (type === 'checkout.session.completed') {
    // An asynchronous method (a bank debit) completes the session before the money arrives:
    // only a paid session is a payment; its payment_intent.succeeded comes later otherwise.
    if (o.payment_status !== 'paid') return { kind: 'ignore', reason: `checkout session not paid (${String(o.payment_status)})` };
    const amount = stripeMinor(o.amount_total);
    const objectId = str(o.payment_intent) ?? str(o.id);
    if (!objectId || amount === null || !currency) return { kind: 'ignore', reason: 'a checkout session without id, amount or known currency' };
    return { kind: 'payment', objectId, amountMinor: amount, currency, accountId: who.accountId ?? accountIdOf(o.client_reference_id), invoiceNumber: who.invoiceNumber, method: 'card', reference: str(o.id), receivedAt: at };
  }
  if (type === 'charge.refunded') {
    const objectId = str(o.payment_intent) ?? str(o.id);
    if (!objectId || !currency) return { kind: 'ignore', reason: 'a refunded charge without payment intent or known currency' };
    const list = Array.isArray(obj(o.refunds)?.data) ? (obj(o.refunds)!.data as unknown[]) : null;
    if (list) {
      const refunds = list.map(obj).filter((r): r is Obj => r !== null && (r.status === undefined || r.status === 'succeeded'));
      return { kind: 'refund', objectId, currency, refunds: refunds.map((r) => ({ id: str(r.id) ?? '', amountMinor: stripeMinor(r.amount) ?? -1n })).filter((r) => r.id && r.amountMinor > 0n) };
    }
    // Newer API versions leave the charge's refunds out: a full refund is still unambiguous.
    const refunded = stripeMinor(o.amount_refunded);
    if (o.refunded === true && refunded !== null && refunded > 0n) return { kind: 'refund', objectId, currency, refunds: [{ id: `${str(o.id) ?? objectId}:full`, amountMinor: refunded }] };
    return { kind: 'ignore', reason: 'a partial refund without its refund list: record it on the payment by hand' };
  }
  return { kind: 'ignore', reason: `event type ${type} is not handled` };
}

/** The generic gateway's body: {eventId, accountId|invoiceNumber, amount, currency, method, reference, receivedAt}. */
export function genericIntent(body: unknown, defaultMethod: PaymentMethod): Parsed<GatewayEvent & { intent: PaymentIntent }> {
  const b = obj(body);
  if (!b) return { ok: false, reason: 'the body is not a JSON object' };
  const problems: string[] = [];
  const eventId = str(b.eventId);
  if (!eventId || eventId.length > 200) problems.push('eventId: required, at most 200 characters');
  const accountId = b.accountId === undefined || b.accountId === null ? null : accountIdOf(b.accountId);
  if (b.accountId !== undefined && b.accountId !== null && accountId === null) problems.push('accountId: must be a positive integer');
  const invoiceNumber = str(b.invoiceNumber);
  if (accountId === null && !invoiceNumber) problems.push('accountId or invoiceNumber: one is required');
  const currency = currencyOf(b.currency);
  if (!currency) problems.push('currency: must be an ISO 4217 code such as EUR');
  let amountMinor = 0n;
  if (typeof b.amount !== 'string') problems.push('amount: must be decimal text such as "12.50" (never a JSON number)');
  else if (currency) {
    const a = exactMinor(b.amount, currency);
    if ('error' in a) problems.push(`amount: ${a.error}`);
    else if (a.minor <= 0n) problems.push('amount: must be positive');
    else amountMinor = a.minor;
  }
  const methods: PaymentMethod[] = ['cash', 'bank_transfer', 'card', 'paypal', 'other'];
  const method = b.method === undefined ? defaultMethod : (methods.find((m) => m === b.method) ?? null);
  if (!method) problems.push(`method: one of ${methods.join(', ')}`);
  const receivedAt = typeof b.receivedAt === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(b.receivedAt) ? new Date(b.receivedAt) : null;
  if (!receivedAt || Number.isNaN(receivedAt.getTime())) problems.push('receivedAt: an ISO 8601 time such as 2026-12-01T10:00:00Z');
  if (b.reference !== undefined && b.reference !== null && typeof b.reference !== 'string') problems.push('reference: text');
  if (problems.length) return { ok: false, reason: problems.join('; ') };
  return {
    ok: true,
    value: { eventId: eventId!, type: 'payment', intent: { kind: 'payment', objectId: eventId!, amountMinor, currency: currency!, accountId, invoiceNumber, method: method!, reference: str(b.reference), receivedAt: receivedAt! } },
  };
}
