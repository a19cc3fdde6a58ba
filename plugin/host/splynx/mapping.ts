/**
 * Splynx records to the host interface's values and back (pure). Splynx sends numbers as strings
 * ("1", "49.0000") and "no date" as 0000-00-00 or -0001-11-30.
 */
import type { Role } from '../../auth/index.js';
import { currencyExponent, Dec, fromMinor, toMinor } from '../../common/money.js';
import type { HostCustomer, HostPayment, HostService } from '../platform.js';

export interface SplynxCustomer {
  id: string | number;
  name?: string;
  email?: string;
  phone?: string;
  status?: string;
  login?: string;
  last_update?: string;
}

export interface SplynxInternetService {
  id: string | number;
  customer_id: string | number;
  tariff_id?: string | number;
  status?: string;
  login?: string;
  start_date?: string;
  end_date?: string;
}

export interface SplynxPayment {
  id: string | number;
  customer_id: string | number;
  invoice_id?: string | number | null;
  date?: string;
  amount?: string | number;
  receipt_number?: string;
  comment?: string;
}

const blank = (v: unknown): string | null => (v === undefined || v === null || String(v).trim() === '' ? null : String(v).trim());

export function splynxDate(v: unknown): string | null {
  const s = blank(v);
  if (!s || s.startsWith('0000-00-00') || s.startsWith('-0001')) return null;
  return /^\d{4}-\d{2}-\d{2}/.test(s) ? s.slice(0, 10) : null;
}

export function toHostCustomer(c: SplynxCustomer): HostCustomer {
  const raw = String(c.status ?? 'new');
  const status: HostCustomer['status'] = raw === 'active' ? 'active' : raw === 'blocked' ? 'blocked' : raw === 'disabled' ? 'inactive' : 'new';
  return { externalId: String(c.id), name: blank(c.name) ?? `Splynx customer ${c.id}`, email: blank(c.email), phone: blank(c.phone), status, hostStatus: raw };
}

export function toHostService(s: SplynxInternetService, tariffTitles: Map<string, string>): HostService {
  const raw = String(s.status ?? 'active');
  const status: HostService['status'] = raw === 'active' ? 'active' : raw === 'pending' ? 'pending' : raw === 'stopped' ? 'stopped' : 'ended';
  const tariffId = blank(s.tariff_id);
  return {
    externalId: String(s.id),
    customerExternalId: String(s.customer_id),
    login: blank(s.login),
    tariffExternalId: tariffId,
    tariffName: tariffId ? (tariffTitles.get(tariffId) ?? null) : null,
    startDate: splynxDate(s.start_date),
    endDate: splynxDate(s.end_date),
    status,
    hostStatus: raw,
  };
}

/** Splynx amounts are decimal text in the ISP's currency; anything finer than its minor unit is refused. */
export function amountToMinor(amount: unknown, currency: string): bigint {
  const text = blank(amount);
  if (!text || !/^-?\d+(\.\d+)?$/.test(text)) throw new RangeError(`"${String(amount)}" is not an amount`);
  const d = new Dec(text);
  const minor = toMinor(d, currency);
  if (!fromMinor(minor, currency).eq(d)) throw new RangeError(`${text} has more decimals than ${currency} allows (${currencyExponent(currency)})`);
  return minor;
}

export function minorToAmount(minor: bigint, currency: string): string {
  return fromMinor(minor, currency).toFixed(currencyExponent(currency));
}

export function toHostPayment(p: SplynxPayment, currency: string): HostPayment {
  return {
    externalId: String(p.id),
    customerExternalId: String(p.customer_id),
    amountMinor: amountToMinor(p.amount, currency),
    currency,
    date: splynxDate(p.date) ?? '1970-01-01',
    invoiceExternalId: blank(p.invoice_id) === '0' ? null : blank(p.invoice_id),
    reference: blank(p.receipt_number) ?? blank(p.comment),
  };
}

/** A Splynx administrator role name to Octet's role: the map decides, anything else reads only. */
export function mapRole(hostRole: string, roleMap: Record<string, Role>): Role {
  return roleMap[hostRole] ?? roleMap[hostRole.toLowerCase()] ?? 'readonly';
}
