import type { SplynxSettings } from '../config.js';
import type {
  BlockingState,
  BlockingTarget,
  HostCharge,
  HostCustomer,
  HostListOptions,
  HostPage,
  HostPayment,
  HostPlatform,
  HostService,
  HostServiceQuery,
  PostedCharge,
  StaffIdentity,
  StaffRequestFacts,
} from '../platform.js';
import type { SplynxClient } from './client.js';
import { SplynxApiError, SplynxAuthError, SplynxNotFoundError } from './errors.js';
import { mapRole, minorToAmount, toHostCustomer, toHostPayment, toHostService, type SplynxCustomer, type SplynxInternetService, type SplynxPayment } from './mapping.js';

const CUSTOMERS = 'admin/customers/customer';
const TARIFFS = 'admin/tariffs/internet';
const TRANSACTIONS = 'admin/finance/transactions';
const INVOICES = 'admin/finance/invoices';
const CREDIT_NOTES = 'admin/finance/credit-notes';
const PAYMENTS = 'admin/finance/payments';
const ADMINS = 'admin/administration/administrators';

/** A list position: the last id seen, and the change watermark the pass filters on (customers). */
interface Position {
  after: number;
  since: string | null;
  /** The watermark the next pass will use, fixed when this pass started. */
  next: string | null;
}

const encode = (p: Position) => Buffer.from(JSON.stringify(p)).toString('base64url');
function decode(cursor: string | null | undefined): Position | null {
  if (!cursor) return null;
  try {
    const p = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Position;
    if (Number.isSafeInteger(p.after) && p.after >= 0) return p;
  } catch {
    /* falls through */
  }
  throw new RangeError('not a Splynx cursor');
}

/** Splynx local time, "YYYY-MM-DD HH:MM:SS", minus a margin that covers clock skew between the two. */
function watermark(now: Date, timezone: string, marginMinutes = 60): string {
  const at = new Date(now.getTime() - marginMinutes * 60_000);
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const v = (t: string) => parts.find((p) => p.type === t)!.value;
  return `${v('year')}-${v('month')}-${v('day')} ${v('hour')}:${v('minute')}:${v('second')}`;
}

export interface SplynxHostDeps {
  client: SplynxClient;
  settings: SplynxSettings;
  /** The ISP's currency: Splynx amounts carry none. */
  currency: string;
  /** The zone Splynx writes its local times in (the ISP's). */
  timezone: string;
  now: () => Date;
}

/**
 * The Splynx host (API v2.0). Splynx owns customers, services and finance; blocking too when
 * `dunning: splynx`. Charges are idempotent by Octet's key written into the record itself
 * (a transaction's `comment`, an invoice's `memo`, a credit note's `note`) and looked up before every POST, so a POST
 * whose answer was lost, or a run that crashed before saving the answer, never posts twice.
 */
export class SplynxHost implements HostPlatform {
  readonly kind = 'splynx' as const;
  readonly owns;
  private tariffTitles: { at: number; map: Map<string, string> } | null = null;

  constructor(private readonly deps: SplynxHostDeps) {
    this.owns = { customers: true, finance: true, blocking: deps.settings.dunning === 'splynx' };
  }

  private get limit(): number {
    return this.deps.settings.pageSize;
  }

  async listCustomers(options: HostListOptions = {}): Promise<HostPage<HostCustomer>> {
    const pos = decode(options.cursor) ?? { after: 0, since: null, next: null };
    if (pos.after === 0 && !pos.next) pos.next = watermark(this.deps.now(), this.deps.timezone);
    const main: Record<string, unknown> = { id: ['>', pos.after] };
    if (pos.since) main.last_update = ['>=', pos.since];
    const limit = Math.min(options.limit ?? this.limit, this.limit);
    const rows = await this.deps.client.page<SplynxCustomer>(CUSTOMERS, { main_attributes: main, order: { id: 'ASC' } }, limit);
    const items = rows.map(toHostCustomer);
    const last = rows[rows.length - 1];
    if (rows.length < limit || !last) return { items, nextCursor: null, resumeFrom: encode({ after: 0, since: pos.next, next: null }) };
    return { items, nextCursor: encode({ ...pos, after: Number(last.id) }) };
  }

  async getCustomer(externalId: string): Promise<HostCustomer | null> {
    try {
      return toHostCustomer((await this.deps.client.get<SplynxCustomer>(`${CUSTOMERS}/${encodeURIComponent(externalId)}`)).body);
    } catch (err) {
      if (err instanceof SplynxNotFoundError) return null;
      throw err;
    }
  }

  /** All services by id (customer 0 is Splynx's "any customer" search), or one customer's. */
  async listServices(query: HostServiceQuery): Promise<HostPage<HostService>> {
    const titles = await this.titles();
    if (query.customerExternalId) {
      const rows = (await this.deps.client.get<SplynxInternetService[]>(`${CUSTOMERS}/${encodeURIComponent(query.customerExternalId)}/internet-services`)).body;
      return { items: rows.map((s) => toHostService(s, titles)), nextCursor: null };
    }
    const after = decode(query.cursor)?.after ?? 0;
    const limit = Math.min(query.limit ?? this.limit, this.limit);
    const rows = await this.deps.client.page<SplynxInternetService>(`${CUSTOMERS}/0/internet-services`, { main_attributes: { id: ['>', after] }, order: { id: 'ASC' } }, limit);
    const last = rows[rows.length - 1];
    return { items: rows.map((s) => toHostService(s, titles)), nextCursor: rows.length < limit || !last ? null : encode({ after: Number(last.id), since: null, next: null }) };
  }

  /** Internet tariff titles, read once per 10 minutes. */
  private async titles(): Promise<Map<string, string>> {
    const now = this.deps.now().getTime();
    if (this.tariffTitles && now - this.tariffTitles.at < 600_000) return this.tariffTitles.map;
    const rows = (await this.deps.client.get<Array<{ id: string | number; title?: string }>>(TARIFFS)).body;
    const map = new Map(rows.map((t) => [String(t.id), String(t.title ?? t.id)]));
    this.tariffTitles = { at: now, map };
    return map;
  }

  async postCharges(charges: HostCharge[]): Promise<PostedCharge[]> {
    if (this.deps.settings.charges === 'transactions') {
      const out: PostedCharge[] = [];
      for (const c of charges) out.push(await this.postTransaction(c));
      return out;
    }
    const groups = new Map<string, HostCharge[]>();
    for (const c of charges) {
      const k = c.document?.key ?? c.key;
      groups.set(k, [...(groups.get(k) ?? []), c]);
    }
    const byKey = new Map<string, PostedCharge>();
    for (const [docKey, group] of groups) {
      const posted = await this.postInvoice(docKey, group);
      for (const p of posted) byKey.set(p.key, p);
    }
    return charges.map((c) => byKey.get(c.key)!);
  }

  /**
   * Look up by the key, then POST; a POST that failed in a way that may have applied it (cut
   * off, 5xx) is followed by another look-up rather than a blind second POST.
   */
  private async postOnce(path: string, keyField: 'comment' | 'memo' | 'note', key: string, body: Record<string, unknown>): Promise<{ id: string; duplicate: boolean }> {
    const attempts = Math.max(1, this.deps.settings.retries + 1);
    let lastError: unknown;
    for (let i = 0; i < attempts; i++) {
      const found = await this.deps.client.get<Array<{ id: string | number }>>(path, { main_attributes: { [keyField]: key } });
      if (Array.isArray(found.body) && found.body[0]) return { id: String(found.body[0].id), duplicate: true };
      try {
        const r = await this.deps.client.post<{ id: string | number }>(path, body);
        return { id: String(r.body?.id), duplicate: false };
      } catch (err) {
        if (!(err instanceof SplynxApiError) || !err.retryable) throw err;
        lastError = err;
      }
    }
    throw lastError;
  }

  private async postTransaction(c: HostCharge): Promise<PostedCharge> {
    // Quantity 1 at the line's amount: Splynx multiplies quantity by price, and a per-GB price
    // would have to be rounded; the usage quantity goes into the description instead.
    // 'debit' is "+ Income" on the customer's account, 'credit' "- Charge" (API v2.0 Transaction
    // Base): a credit note's line is a credit at its amount as on the credit note.
    const body: Record<string, unknown> = {
      type: isCredit(c) ? 'credit' : 'debit',
      customer_id: Number(c.customerExternalId),
      quantity: 1,
      price: minorToAmount(c.amountMinor, c.currency),
      tax_percent: c.taxPercent,
      date: c.date,
      category: this.deps.settings.transactionCategory,
      description: describe(c),
      comment: c.key,
      source: 'manual',
    };
    if (c.unit) body.unit = c.unit;
    if (c.periodFrom) body.period_from = c.periodFrom;
    if (c.periodTo) body.period_to = c.periodTo;
    if (c.serviceExternalId) (body.service_id = Number(c.serviceExternalId), (body.service_type = 'internet'));
    const r = await this.postOnce(TRANSACTIONS, 'comment', c.key, body);
    return { key: c.key, externalId: r.id, duplicate: r.duplicate };
  }

  private async postInvoice(docKey: string, group: HostCharge[]): Promise<PostedCharge[]> {
    const first = group[0]!;
    const doc = first.document;
    if (isCredit(first)) return this.postCreditNote(docKey, group);
    const body: Record<string, unknown> = {
      customer_id: Number(first.customerExternalId),
      date_created: doc?.issueDate ?? first.date,
      status: 'not_paid',
      number: doc?.number ?? docKey,
      memo: docKey,
      items: group.map((c) => {
        const item: Record<string, unknown> = { description: describe(c), quantity: 1, price: minorToAmount(c.amountMinor, c.currency), tax: c.taxPercent };
        if (c.periodFrom) item.period_from = c.periodFrom;
        if (c.periodTo) item.period_to = c.periodTo;
        item.categoryIdForTransaction = Number(this.deps.settings.transactionCategory);
        return item;
      }),
    };
    if (doc?.dueDate) body.date_till = doc.dueDate;
    const r = await this.postOnce(INVOICES, 'memo', docKey, body);
    return group.map((c) => ({ key: c.key, externalId: r.id, duplicate: r.duplicate }));
  }

  /**
   * An Octet credit note as a Splynx credit note (POST admin/finance/credit-notes, Credit note
   * Base): status not_refunded, Octet's number, an item per line at its amount as on the credit
   * note (a discount taken back with a negative price). Splynx credit notes have no memo, so the
   * document's key goes into `note`, which main_attributes searches, and is looked up first.
   * Items: quantity 1 at the line's amount (as invoices), `unit` is required by the blueprint
   * (typed number there) and the usage unit is already in the description, so it is sent empty.
   */
  private async postCreditNote(docKey: string, group: HostCharge[]): Promise<PostedCharge[]> {
    const first = group[0]!;
    const body: Record<string, unknown> = {
      customer_id: Number(first.customerExternalId),
      date_created: first.document?.issueDate ?? first.date,
      status: 'not_refunded',
      number: first.document?.number ?? docKey,
      note: docKey,
      items: group.map((c) => ({ description: describe(c), quantity: 1, unit: '', price: minorToAmount(c.amountMinor, c.currency), tax: c.taxPercent })),
    };
    const r = await this.postOnce(CREDIT_NOTES, 'note', docKey, body);
    return group.map((c) => ({ key: c.key, externalId: r.id, duplicate: r.duplicate }));
  }

  async readPayments(options: HostListOptions = {}): Promise<HostPage<HostPayment>> {
    const after = decode(options.cursor)?.after ?? 0;
    const limit = Math.min(options.limit ?? this.limit, this.limit);
    const rows = await this.deps.client.page<SplynxPayment>(PAYMENTS, { main_attributes: { id: ['>', after] }, order: { id: 'ASC' } }, limit);
    const items = rows.map((p) => toHostPayment(p, this.deps.currency));
    const lastId = rows.length ? Number(rows[rows.length - 1]!.id) : after;
    const at = encode({ after: lastId, since: null, next: null });
    return rows.length < limit ? { items, nextCursor: null, resumeFrom: at } : { items, nextCursor: at };
  }

  async getBlocking(target: BlockingTarget): Promise<BlockingState> {
    const c = await this.getCustomer(target.customerExternalId);
    if (!c) throw new SplynxNotFoundError(`Splynx has no customer ${target.customerExternalId}`, 404, 'NOT_FOUND', 'GET', CUSTOMERS, { retryable: false });
    return c.status === 'blocked' ? 'blocked' : 'active';
  }

  /** Splynx blocks customers, not single services: the customer's status becomes blocked or active. */
  async setBlocking(target: BlockingTarget, state: BlockingState, _reason?: string): Promise<void> {
    await this.deps.client.put(`${CUSTOMERS}/${encodeURIComponent(target.customerExternalId)}`, { status: state === 'blocked' ? 'blocked' : 'active' });
  }

  /**
   * An add-on page gets `?sash=` (a hash of the admin's Splynx session). A request signed with it
   * answers with SpL-Administrator-Id and -Role; the administrator's record gives the name.
   */
  async identifyStaff(request: StaffRequestFacts): Promise<StaffIdentity | null> {
    const sash = request.query.sash;
    if (!sash || !/^[A-Za-z0-9_-]{8,128}$/.test(sash)) return null;
    let headers: Headers;
    try {
      headers = (await this.deps.client.head(CUSTOMERS, {}, sash)).headers;
    } catch (err) {
      if (err instanceof SplynxAuthError) return null;
      throw err;
    }
    const id = headers.get('spl-administrator-id');
    const role = headers.get('spl-administrator-role');
    if (!id || !/^\d+$/.test(id) || id === '0' || !role) return null;
    const admin = (await this.deps.client.get<{ name?: string; email?: string; login?: string }>(`${ADMINS}/${id}`)).body;
    return {
      externalId: id,
      name: admin?.name || admin?.login || `Splynx administrator ${id}`,
      email: admin?.email || null,
      hostRole: role,
      octetRole: mapRole(role, this.deps.settings.roleMap),
    };
  }
}

const isCredit = (c: HostCharge) => c.document?.type === 'credit_note';

function describe(c: HostCharge): string {
  const qty = c.unit ? ` (${c.quantity} ${c.unit})` : '';
  return `${c.description}${qty}`.slice(0, 250);
}
