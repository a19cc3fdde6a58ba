import { ValidationError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { decimal } from '../../common/money.js';
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
import { checkAssertion, MemoryNonceStore, type NonceStore } from './assertion.js';
import { UispClient } from './client.js';
import type { UispSettings } from './config.js';
import { UispNotFoundError } from './errors.js';
import { minorToAmount, SUSPENDED, toHostCustomer, toHostPayment, toHostService, type CrmClient, type CrmPayment, type CrmService } from './mapping.js';

const DEFAULT_PAGE = 100;
const MAX_PAGE = 500;
/** readPayments re-reads this many rows before its cursor, so a payment deleted meanwhile shifts nothing past it. */
const PAYMENT_OVERLAP = 20;
/** Octet's key in the invoice's admin notes (never shown to the client): how a re-post finds it. */
const KEY_PREFIX = 'octet-charge:';

export interface UispPlatformDeps {
  settings: UispSettings;
  logger: Logger;
  client?: UispClient;
  /** Where used assertion nonces are remembered: DbNonceStore when several instances run; memory by default. */
  nonces?: NonceStore;
  nowSeconds?: () => number;
}

interface CrmInvoice {
  id: number;
  clientId: number;
  adminNotes?: string | null;
}

interface CrmTax {
  id: number;
  rate: number;
}

function offsetOf(cursor: string | null | undefined): number {
  if (cursor === null || cursor === undefined) return 0;
  if (!/^\d{1,9}$/.test(cursor)) throw new ValidationError(`not a UISP cursor: ${JSON.stringify(cursor)}`, [{ field: 'cursor', message: 'must be a cursor this provider returned' }]);
  return Number(cursor);
}

const pageSize = (o?: HostListOptions) => Math.min(Math.max(o?.limit ?? DEFAULT_PAGE, 1), MAX_PAGE);

/**
 * UISP CRM as Octet's host: the CRM owns clients, services, invoices, payments and suspension.
 * Octet reads clients and services, posts its usage charges as CRM invoices, reads payments,
 * suspends and un-suspends services (PATCH .../suspend, .../cancel-suspend), and trusts a staff
 * member only by a signed assertion from its plugin's public.php.
 */
export class UispPlatform implements HostPlatform {
  readonly kind = 'uisp' as const;
  readonly owns = { customers: true, finance: true, blocking: true };
  /**
   * An assertion vouches once, for 60 s: asking again with the same one is refused (replay).
   * Octet's host sign-in should keep the session it opened and not re-ask with it.
   */
  readonly staffRecheck = false as const;
  readonly client: UispClient;
  private readonly nonces: NonceStore;
  private readonly now: () => number;
  private taxes: CrmTax[] | null = null;

  constructor(private readonly deps: UispPlatformDeps) {
    const s = deps.settings;
    this.client = deps.client ?? new UispClient({ url: s.url, appKey: s.appKey, appKeyType: s.appKeyType, timeoutMs: s.timeoutMs, retries: s.retries, logger: deps.logger });
    this.nonces = deps.nonces ?? new MemoryNonceStore();
    this.now = deps.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  }

  async listCustomers(options?: HostListOptions): Promise<HostPage<HostCustomer>> {
    const offset = offsetOf(options?.cursor);
    const limit = pageSize(options);
    const rows = await this.client.page<CrmClient>('clients', { order: 'client.id', direction: 'ASC' }, offset, limit);
    return { items: rows.map(toHostCustomer), nextCursor: rows.length === limit ? String(offset + limit) : null };
  }

  async getCustomer(externalId: string): Promise<HostCustomer | null> {
    if (!/^\d{1,18}$/.test(externalId)) return null;
    try {
      return toHostCustomer(await this.client.get<CrmClient>(`clients/${externalId}`));
    } catch (err) {
      if (err instanceof UispNotFoundError) return null;
      throw err;
    }
  }

  async listServices(query: HostServiceQuery): Promise<HostPage<HostService>> {
    const offset = offsetOf(query.cursor);
    const limit = pageSize(query);
    const filter = query.customerExternalId === undefined ? {} : { clientId: query.customerExternalId };
    const rows = await this.client.page<CrmService>('clients/services', filter, offset, limit);
    return { items: rows.map((s) => toHostService(s, this.deps.settings.loginAttribute)), nextCursor: rows.length === limit ? String(offset + limit) : null };
  }

  /**
   * Charges of one Octet document (`charge.document`) become one CRM invoice with an item per
   * charge; a charge without a document becomes an invoice of its own. Each item is the charge's
   * total (quantity 1: the CRM would multiply a rounded unit price) with the CRM tax of the same
   * rate. The document's (or charge's) key goes into the invoice's admin notes, and the client's
   * invoices of that date are searched for it first, so a post that reached the CRM before a
   * crash is found, not made again. A credit note document becomes a CRM credit note
   * (POST clients/{id}/credit-note), found again the same way through GET credit-notes.
   */
  async postCharges(charges: HostCharge[]): Promise<PostedCharge[]> {
    const groups = new Map<string, HostCharge[]>();
    for (const c of charges) {
      const key = c.document ? `doc:${c.document.key}` : `charge:${c.key}`;
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    const posted = new Map<string, PostedCharge>();
    for (const [key, group] of groups) {
      const first = group[0]!;
      if (group.some((c) => c.customerExternalId !== first.customerExternalId)) {
        throw new ValidationError(`charges of document ${first.document?.key} belong to different customers`, [{ field: 'customerExternalId', message: 'must be one customer per document' }]);
      }
      const note = `${KEY_PREFIX}${key}`;
      const date = first.document?.issueDate ?? first.date;
      const credit = first.document?.type === 'credit_note';
      const existing = credit ? await this.creditNoteWithNote(first.customerExternalId, date, note) : await this.invoiceWithNote(first.customerExternalId, date, note);
      let id: string;
      if (existing) id = String(existing.id);
      else {
        const items: Array<Record<string, unknown>> = [];
        for (const c of group) {
          // A CRM credit note's items carry negative prices (CreditNoteItem: price -10.0 credits 10):
          // Octet's credit line of 10 goes as -10, a discount taken back (-2) as +2.
          const amount = credit ? -c.amountMinor : c.amountMinor;
          const item: Record<string, unknown> = { label: `${c.description} (${c.quantity}${c.unit ? ` ${c.unit}` : ''})`.slice(0, 255), price: minorToAmount(amount, c.currency), quantity: 1 };
          if (c.unit) item.unit = c.unit;
          const taxId = await this.taxIdFor(c.taxPercent);
          if (taxId !== null) item.tax1Id = taxId;
          items.push(item);
        }
        if (credit) {
          // CreditNoteNew: no maturity, no applyCredit; the key in adminNotes, never shown to the client.
          const body: Record<string, unknown> = { items, createdDate: `${date}T00:00:00+0000`, adminNotes: note, notes: `Octet credit note ${first.document!.number}` };
          id = String((await this.client.post<CrmInvoice>(`clients/${first.customerExternalId}/credit-note`, body)).id);
        } else {
          const body: Record<string, unknown> = { items, createdDate: `${date}T00:00:00+0000`, adminNotes: note, applyCredit: true };
          if (first.document) {
            body.notes = `Octet invoice ${first.document.number}`;
            if (first.document.dueDate) body.maturityDays = Math.max(0, Math.round((Date.parse(first.document.dueDate) - Date.parse(date)) / 86_400_000));
          }
          id = String((await this.client.post<CrmInvoice>(`clients/${first.customerExternalId}/invoices`, body)).id);
        }
      }
      for (const c of group) posted.set(c.key, { key: c.key, externalId: id, duplicate: existing !== null });
    }
    return charges.map((c) => posted.get(c.key)!);
  }

  /** Cursor: how many payments (oldest first, by id) were read; rows at or below the last id seen are skipped. */
  async readPayments(options?: HostListOptions): Promise<HostPage<HostPayment>> {
    const [offset, lastId] = options?.cursor ? this.paymentCursor(options.cursor) : [0, 0];
    const limit = pageSize(options);
    const from = Math.max(0, offset - PAYMENT_OVERLAP);
    const rows = await this.client.page<CrmPayment>('payments', { order: 'id', direction: 'ASC' }, from, limit + (offset - from));
    const fresh = rows.filter((p) => p.id > lastId);
    const items: HostPayment[] = [];
    for (const p of fresh) {
      const mapped = toHostPayment(p);
      if (mapped) items.push(mapped);
      else this.deps.logger.info('UISP payment without a client skipped', { paymentId: p.id });
    }
    const last = fresh.length ? fresh[fresh.length - 1]!.id : lastId;
    const full = rows.length === limit + (offset - from);
    const next = `${from + rows.length}:${last}`;
    // The last page still says where the next pass starts: only payments after the last one seen.
    return { items, nextCursor: full ? next : null, resumeFrom: full ? null : next };
  }

  async getBlocking(target: BlockingTarget): Promise<BlockingState> {
    if (target.serviceExternalId !== undefined) {
      const s = await this.client.get<CrmService>(`clients/services/${target.serviceExternalId}`);
      return s.status === SUSPENDED ? 'blocked' : 'active';
    }
    const c = await this.client.get<CrmClient>(`clients/${target.customerExternalId}`);
    return c.hasSuspendedService ? 'blocked' : 'active';
  }

  /**
   * The CRM suspends per service. Without a service, every active (to block) or suspended (to
   * restore) service of the client is changed. A service already in the wanted state is left alone.
   */
  async setBlocking(target: BlockingTarget, state: BlockingState, reason: string): Promise<void> {
    const services = target.serviceExternalId !== undefined ? [await this.client.get<CrmService>(`clients/services/${target.serviceExternalId}`)] : await this.allServicesOf(target.customerExternalId);
    for (const s of services) {
      if (String(s.clientId) !== target.customerExternalId) {
        throw new ValidationError(`UISP service ${s.id} belongs to client ${s.clientId}, not ${target.customerExternalId}`, [{ field: 'serviceExternalId', message: 'must be a service of that customer' }]);
      }
      if (state === 'blocked' && s.status === 1) {
        const body = this.deps.settings.suspensionReasonId === null ? {} : { suspensionReasonId: this.deps.settings.suspensionReasonId };
        await this.client.patch(`clients/services/${s.id}/suspend`, body);
        this.deps.logger.info('UISP service suspended', { serviceId: s.id, clientId: s.clientId, reason });
      } else if (state === 'active' && s.status === SUSPENDED) {
        await this.client.patch(`clients/services/${s.id}/cancel-suspend`);
        this.deps.logger.info('UISP service suspension cancelled', { serviceId: s.id, clientId: s.clientId, reason });
      }
    }
  }

  /**
   * The staff member behind a page opened from the CRM: only a valid assertion signed with
   * host.signingKey, not expired, and not seen before, counts. The CRM user group maps to an
   * Octet role by host.roleMap (else host.defaultRole); a group with no role gets no access.
   */
  async identifyStaff(request: StaffRequestFacts): Promise<StaffIdentity | null> {
    // The plugin sends it as `sash`, the query name Octet's host sign-in reads for every host.
    const token = request.query.sash ?? request.query.assertion;
    if (!token) return null;
    const now = this.now();
    const { settings, logger } = this.deps;
    const check = checkAssertion(token, settings.signingKey, now, { maxAgeSeconds: settings.assertionMaxAgeSeconds });
    if (!check.ok) {
      logger.warn('UISP page assertion refused', { reason: check.reason, ip: request.ip });
      return null;
    }
    const p = check.payload;
    if (!(await this.nonces.claim(p.nonce, p.exp, now))) {
      logger.warn('UISP page assertion refused', { reason: 'already used', userId: p.userId, ip: request.ip });
      return null;
    }
    const role = settings.roleMap[p.userGroup] ?? settings.defaultRole;
    if (!role) {
      logger.warn('UISP user group has no Octet role (host.roleMap)', { userId: p.userId, userGroup: p.userGroup });
      return null;
    }
    return { externalId: String(p.userId), name: p.username || `UISP user ${p.userId}`, email: null, hostRole: p.userGroup, octetRole: role };
  }

  private async allServicesOf(clientId: string): Promise<CrmService[]> {
    const all: CrmService[] = [];
    for (let offset = 0; ; offset += MAX_PAGE) {
      const rows = await this.client.page<CrmService>('clients/services', { clientId }, offset, MAX_PAGE);
      all.push(...rows);
      if (rows.length < MAX_PAGE) return all;
    }
  }

  private async invoiceWithNote(clientId: string, date: string, note: string): Promise<CrmInvoice | null> {
    for (let offset = 0; ; offset += MAX_PAGE) {
      const rows = await this.client.page<CrmInvoice>('invoices', { clientId, createdDateFrom: date, createdDateTo: date }, offset, MAX_PAGE);
      const hit = rows.find((i) => i.adminNotes === note);
      if (hit) return hit;
      if (rows.length < MAX_PAGE) return null;
    }
  }

  /** GET /credit-notes filters by client and created date (Group Credit Notes); the key is matched in adminNotes. */
  private async creditNoteWithNote(clientId: string, date: string, note: string): Promise<CrmInvoice | null> {
    for (let offset = 0; ; offset += MAX_PAGE) {
      const rows = await this.client.page<CrmInvoice>('credit-notes', { clientId, createdDateFrom: date, createdDateTo: date }, offset, MAX_PAGE);
      const hit = rows.find((i) => i.adminNotes === note);
      if (hit) return hit;
      if (rows.length < MAX_PAGE) return null;
    }
  }

  private async taxIdFor(percent: string): Promise<number | null> {
    if (/^0+(\.0+)?$/.test(percent)) return null;
    this.taxes ??= await this.client.get<CrmTax[]>('taxes');
    const wanted = decimal(percent);
    const tax = this.taxes.find((t) => decimal(String(t.rate)).eq(wanted));
    if (!tax) throw new ValidationError(`the UISP CRM has no tax of ${percent}% (System → Billing → Taxes)`, [{ field: 'taxPercent', message: `needs a CRM tax with rate ${percent}` }]);
    return tax.id;
  }

  private paymentCursor(cursor: string): [number, number] {
    const m = /^(\d{1,9}):(\d{1,18})$/.exec(cursor);
    if (!m) throw new ValidationError(`not a UISP payments cursor: ${JSON.stringify(cursor)}`, [{ field: 'cursor', message: 'must be a cursor this provider returned' }]);
    return [Number(m[1]), Number(m[2])];
  }
}
