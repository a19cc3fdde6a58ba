import { currencyExponent, decimal, fromMinor, isKnownCurrency, toMinor } from '../../common/money.js';
import type { HostCustomer, HostPayment, HostService } from '../platform.js';

/**
 * UISP CRM API objects (the fields Octet reads, as the API blueprint names them) and their
 * mapping to the host interface. Pure functions of the JSON the CRM sent.
 */
export interface CrmContact {
  email?: string | null;
  phone?: string | null;
  isBilling?: boolean;
}

export interface CrmClient {
  id: number;
  userIdent?: string | null;
  clientType?: number;
  companyName?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  isLead?: boolean;
  isArchived?: boolean;
  hasSuspendedService?: boolean;
  contacts?: CrmContact[];
  currencyCode?: string;
}

export interface CrmServiceAttribute {
  key?: string;
  value?: string | null;
}

export interface CrmService {
  id: number;
  clientId: number;
  status: number;
  servicePlanId?: number | null;
  servicePlanName?: string | null;
  name?: string | null;
  activeFrom?: string | null;
  activeTo?: string | null;
  attributes?: CrmServiceAttribute[];
}

export interface CrmPaymentCover {
  invoiceId?: number | null;
}

export interface CrmPayment {
  id: number;
  clientId: number | null;
  amount: number;
  currencyCode: string;
  createdDate: string;
  note?: string | null;
  checkNumber?: string | null;
  providerPaymentId?: string | null;
  paymentCovers?: CrmPaymentCover[];
}

export interface CrmWebhookEvent {
  uuid: string;
  changeType: string;
  entity: string;
  entityId: number | string | null;
}

/** ServiceStatus of the blueprint. */
export const SERVICE_STATUS: Record<number, string> = {
  0: 'prepared',
  1: 'active',
  2: 'ended',
  3: 'suspended',
  4: 'prepared_blocked',
  5: 'obsolete',
  6: 'deferred',
  7: 'quoted',
  8: 'inactive',
};
export const SUSPENDED = 3;

/**
 * A suspended service stays `active` administratively: suspension is blocking, which
 * getBlocking reports (status 3). Prepared, deferred and quoted services have not started;
 * "Inactive" ones are stopped; ended and obsolete (replaced by a plan change) ones are over.
 */
export function serviceStatus(status: number): HostService['status'] {
  if (status === 1 || status === 3) return 'active';
  if (status === 2 || status === 5) return 'ended';
  if (status === 8) return 'stopped';
  return 'pending';
}

export function clientName(c: CrmClient): string {
  const person = [c.firstName, c.lastName].filter((s) => s && s.trim()).join(' ');
  const name = c.clientType === 2 ? c.companyName || person : person || c.companyName || '';
  return name.trim() || `UISP client ${c.id}`;
}

export function toHostCustomer(c: CrmClient): HostCustomer {
  const contact = c.contacts?.find((x) => x.isBilling && x.email) ?? c.contacts?.find((x) => x.email) ?? c.contacts?.[0];
  const hostStatus = c.isArchived ? 'archived' : c.isLead ? 'lead' : c.hasSuspendedService ? 'suspended' : 'active';
  const status: HostCustomer['status'] = c.isArchived ? 'inactive' : c.isLead ? 'new' : c.hasSuspendedService ? 'blocked' : 'active';
  return { externalId: String(c.id), name: clientName(c), email: contact?.email || null, phone: contact?.phone || null, status, hostStatus };
}

/** The date part of the CRM's `2016-09-12T00:00:00+0000`. */
export function crmDate(value: string | null | undefined): string | null {
  if (!value) return null;
  const m = /^(\d{4}-\d{2}-\d{2})/.exec(value);
  return m ? m[1]! : null;
}

export function toHostService(s: CrmService, loginAttribute: string): HostService {
  const login = s.attributes?.find((a) => a.key === loginAttribute)?.value;
  return {
    externalId: String(s.id),
    customerExternalId: String(s.clientId),
    login: login ? login : null,
    tariffExternalId: s.servicePlanId === null || s.servicePlanId === undefined ? null : String(s.servicePlanId),
    tariffName: s.servicePlanName ?? s.name ?? null,
    startDate: crmDate(s.activeFrom),
    endDate: crmDate(s.activeTo),
    status: serviceStatus(s.status),
    hostStatus: SERVICE_STATUS[s.status] ?? String(s.status),
  };
}

/**
 * The CRM sends money as JSON numbers (`"amount": 10.5`). JSON.parse gave a double whose
 * shortest text is the number the CRM wrote, so the amount is read from that text by decimal.js,
 * never by arithmetic on the double. More decimals than the currency has is an error, not rounding.
 */
export function amountToMinor(amount: number, currency: string): bigint {
  if (!Number.isFinite(amount)) throw new Error(`amount ${amount} is not a number`);
  if (!isKnownCurrency(currency)) throw new Error(`currency ${currency} is not an ISO 4217 code Octet knows`);
  const d = decimal(String(amount));
  if (d.decimalPlaces() > currencyExponent(currency)) throw new Error(`amount ${amount} has more decimals than ${currency} has`);
  return toMinor(d, currency);
}

/** Minor units as the JSON number the CRM expects: from decimal text, exact up to 15 digits. */
export function minorToAmount(minor: bigint, currency: string): number {
  const text = fromMinor(minor, currency).toFixed();
  if (text.replace(/[-.]/g, '').replace(/^0+/, '').length > 15) throw new Error(`amount ${text} ${currency} has more digits than a JSON number carries exactly`);
  return Number(text);
}

export function toHostPayment(p: CrmPayment): HostPayment | null {
  if (p.clientId === null) return null;
  const invoice = p.paymentCovers?.find((c) => c.invoiceId !== null && c.invoiceId !== undefined)?.invoiceId;
  return {
    externalId: String(p.id),
    customerExternalId: String(p.clientId),
    amountMinor: amountToMinor(p.amount, p.currencyCode),
    currency: p.currencyCode,
    date: crmDate(p.createdDate) ?? p.createdDate,
    invoiceExternalId: invoice === undefined ? null : String(invoice),
    reference: p.providerPaymentId || p.checkNumber || p.note || null,
  };
}
