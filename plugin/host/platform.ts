/**
 * The host platform: what Octet needs from the admin platform it runs inside (Splynx, UISP CRM)
 * or from itself (standalone). One provider interface, several providers (plugin/host/standalone.ts,
 * plugin/host/splynx/, plugin/host/uisp/), picked by config `host.kind`.
 *
 * Where the host owns customers, finance or blocking (the `owns` flags), it stays the one truth:
 * Octet reads customers and services from it, writes usage charges back to it, and either reads
 * its payments (Octet dunning) or mirrors its blocking (host dunning), never both enforcing.
 *
 * Stability: other providers implement this file. Members are only ever added (optional first);
 * a change to an existing member is announced here with the date and the old form kept working.
 *
 * Conventions: ids on the host are strings (`externalId`), whatever the host uses; money is
 * integer minor units of `currency` (bigint), never a float; dates are YYYY-MM-DD in the ISP's
 * zone; cursors are opaque strings owned by the provider (null: nothing more, start again from
 * null for a full pass).
 */
import type { Role } from '../auth/index.js';

export const HOST_KINDS = ['standalone', 'splynx', 'uisp'] as const;
export type HostKind = (typeof HOST_KINDS)[number];

/** Who owns what: true means the host is the truth and Octet follows it. */
export interface HostOwnership {
  /** Customers and their internet services (Octet mirrors them into its accounts and services). */
  customers: boolean;
  /** Invoices and payments: Octet's charges go to the host's finance records. */
  finance: boolean;
  /**
   * Blocking of overdue customers: when true Octet's dunning must not suspend anyone; Octet mirrors
   * the host's blocked state into enforcement instead. The composition root reads it.
   */
  blocking: boolean;
}

/** A customer as the host knows it, mapped to Octet's vocabulary (the host's own word kept). */
export interface HostCustomer {
  externalId: string;
  name: string;
  email: string | null;
  phone: string | null;
  /** Octet's reading of the host status: blocked means the host blocks the customer for debt. */
  status: 'new' | 'active' | 'blocked' | 'inactive';
  /** The host's own status value, as sent (e.g. Splynx `disabled`). */
  hostStatus: string;
}

/** An internet service of a customer: the login is what usage is assigned by. */
export interface HostService {
  externalId: string;
  customerExternalId: string;
  /** PPPoE / hotspot / RADIUS login; null when the service has none (it gets no usage). */
  login: string | null;
  tariffExternalId: string | null;
  /** The tariff's name on the host (Octet maps it to a tariff code by setting or by name). */
  tariffName: string | null;
  startDate: string | null;
  endDate: string | null;
  status: 'pending' | 'active' | 'stopped' | 'ended';
  hostStatus: string;
}

export interface HostPage<T> {
  items: T[];
  /** Opaque; null when this was the last page. */
  nextCursor: string | null;
  /**
   * Added 2026-12-02 (optional): on the last page, where the next pass starts so that it sees
   * only what came or changed since (the last payment id, a change watermark). Absent or null:
   * the next pass starts from the beginning.
   */
  resumeFrom?: string | null;
}

export interface HostListOptions {
  cursor?: string | null;
  /** Page size the caller would like; a provider may cap it. */
  limit?: number;
}

export interface HostServiceQuery extends HostListOptions {
  /** The services of one customer; a provider that can list all services may accept it absent. */
  customerExternalId?: string;
}

/** One usage charge Octet rated and wants the host's own invoices to carry. */
export interface HostCharge {
  /**
   * Octet's idempotency key (one per invoice line, e.g. `octet:inv:<invoiceId>:<lineId>`): a
   * provider writes it into the finance record so that posting the same key twice, even after a
   * crash between the host's answer and Octet saving it, creates nothing the second time.
   */
  key: string;
  customerExternalId: string;
  serviceExternalId: string | null;
  description: string;
  /** Decimal text, e.g. "12.5" (GB). */
  quantity: string;
  unit: string | null;
  /** The line total before tax, minor units. */
  amountMinor: bigint;
  /** Decimal text percent, e.g. "19". */
  taxPercent: string;
  currency: string;
  date: string;
  periodFrom: string | null;
  periodTo: string | null;
  /**
   * Added 2026-12-02 (optional): the Octet document the charge belongs to. A provider that posts
   * invoices rather than single records puts the charges of one document into one host invoice,
   * idempotent by `document.key`.
   */
  document?: {
    key: string;
    number: string;
    issueDate: string;
    dueDate: string | null;
    /**
     * Added 2026-12-02 (optional; absent reads as invoice): a `credit_note` document's charges are
     * credits. Their amounts are as on Octet's credit note (positive; a discount taken back
     * negative), and the provider posts them as the host's credit records (Splynx credit
     * transactions or credit notes, UISP CRM credit notes), idempotent by the same keys.
     */
    type?: 'invoice' | 'credit_note';
  };
}

export interface PostedCharge {
  key: string;
  /** The host's id of the finance record (transaction or invoice). */
  externalId: string;
  /** True when the host already had a record with this key (nothing new was created). */
  duplicate: boolean;
}

export interface HostPayment {
  externalId: string;
  customerExternalId: string;
  amountMinor: bigint;
  currency: string;
  /** YYYY-MM-DD. */
  date: string;
  invoiceExternalId: string | null;
  reference: string | null;
}

/** What is blocked: a customer, or one service of it where the host blocks per service. */
export interface BlockingTarget {
  customerExternalId: string;
  serviceExternalId?: string;
}

export type BlockingState = 'active' | 'blocked';

/** The facts of an add-on page request that may say who the staff member is. */
export interface StaffRequestFacts {
  query: Record<string, string | undefined>;
  headers: Record<string, string | undefined>;
  cookies?: Record<string, string | undefined>;
  ip?: string;
}

export interface StaffIdentity {
  /** The staff member's id on the host. */
  externalId: string;
  name: string;
  email: string | null;
  /** The host's role name as sent (e.g. Splynx `super-administrator`). */
  hostRole: string;
  /** That role mapped to Octet's (config roleMap). */
  octetRole: Role;
}

export interface HostPlatform {
  readonly kind: HostKind;
  readonly owns: HostOwnership;

  listCustomers(options?: HostListOptions): Promise<HostPage<HostCustomer>>;
  /** Null for an id the host does not know. */
  getCustomer(externalId: string): Promise<HostCustomer | null>;
  listServices(query: HostServiceQuery): Promise<HostPage<HostService>>;

  /** Posts each charge once by its key; returns one entry per charge, in order. */
  postCharges(charges: HostCharge[]): Promise<PostedCharge[]>;
  /** Payments recorded on the host after the cursor (oldest first). */
  readPayments(options?: HostListOptions): Promise<HostPage<HostPayment>>;

  getBlocking(target: BlockingTarget): Promise<BlockingState>;
  /** `reason` is for the host's log or note where it has one. */
  setBlocking(target: BlockingTarget, state: BlockingState, reason: string): Promise<void>;

  /** Who is behind an add-on page request; null when the request carries nothing the host vouches for. */
  identifyStaff(request: StaffRequestFacts): Promise<StaffIdentity | null>;
}

/** Thrown by a provider for an operation its host's API does not offer (e.g. no payment read). */
export class HostUnsupportedError extends Error {
  constructor(
    readonly kind: HostKind,
    readonly operation: string,
  ) {
    super(`the ${kind} host does not support ${operation}`);
    this.name = 'HostUnsupportedError';
  }
}
