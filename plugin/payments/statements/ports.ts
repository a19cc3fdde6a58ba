import type { Transaction } from 'sequelize';

/**
 * What statements and gateways use of other modules, typed here and passed in by the
 * composition root (plugin/main.ts). `record` is the payments port's (plugin/payments/index.ts),
 * spelled out so this folder compiles before and without importing it.
 */
export type PaymentMethod = 'cash' | 'bank_transfer' | 'card' | 'paypal' | 'other';

export interface PaymentToRecord {
  accountId: number;
  amountMinor: bigint;
  currency: string;
  method: PaymentMethod;
  reference: string | null;
  receivedAt: Date;
  source: string;
  externalId: string | null;
  /** An invoice id to allocate to first (else the oldest open invoice). */
  allocateTo?: string;
}

export interface PaymentsPort {
  /** Idempotent by (source, externalId): a second call returns the first payment with duplicate: true. */
  record(p: PaymentToRecord, actor: string): Promise<{ paymentId: string; duplicate: boolean }>;
}

export interface RecordPort {
  record: PaymentsPort['record'];
}

/** An invoice found by its number (INV-000123). */
export interface InvoiceRef {
  id: string;
  accountId: number;
  number: string;
  currency: string;
  status: string;
}

export interface AccountRef {
  id: number;
  currency: string;
}

/** Look-ups of invoicing's and subscribers' data, through their ports. */
export interface MatchLookups {
  invoiceByNumber(number: string, t?: Transaction): Promise<InvoiceRef | null>;
  accountById(id: number): Promise<AccountRef | null>;
  accountByExternalId(externalId: string): Promise<AccountRef | null>;
}
