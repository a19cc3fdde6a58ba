import { rateScenario, type RatedDocument } from '../../../../plugin/rating/rate-scenario.js';
import { parseScenarioText } from '../../../../plugin/rating/scenario.js';
import { buildInvoiceView, type InvoiceView, type InvoiceViewInput, type Party } from '../../../../plugin/invoicing/document/invoice-view.js';

/**
 * A month of a service rated by plugin/rating: February's invoice carries January's usage (above
 * the allowance), February's fee and a one-off installation, so every kind of line is printed.
 * Prices are written per currency so the same invoice exists in EUR, JPY (no decimals) and KWD (3).
 */
const PRICES: Record<string, { fee: string; unit: string; install: string }> = {
  EUR: { fee: '31.00', unit: '0.10', install: '49.90' },
  JPY: { fee: '4980', unit: '15', install: '5500' },
  KWD: { fee: '9.875', unit: '0.035', install: '15.125' },
};

export function ratedInvoice(currency = 'EUR'): RatedDocument {
  const p = PRICES[currency]!;
  const text = [
    `currency: ${currency}`,
    'timezone: Europe/Berlin',
    'account:\n  tax: { name: VAT, percent: 19 }',
    'tariffs:',
    `  - { code: HOME-100, name: Home 100, currency: ${currency}, recurringFee: ${p.fee}, usage: { direction: both, unit: GB, includedUnits: 100, charge: { model: per_unit, unitPrice: ${p.unit} } } }`,
    'service:\n  start: 2026-01-01\n  tariffs: [{ tariff: HOME-100, from: 2026-01-01 }]',
    `items:\n  - { code: INSTALL, description: Installation at the premises, price: ${p.install}, recurring: false, at: 2026-01-20T10:00:00Z }`,
    'usage:\n  - { hour: 2026-01-15T10:00:00Z, download: 120000000000, upload: 5000000000 }',
    'invoices: { from: 2026-01-01, to: 2026-03-01 }',
  ].join('\n');
  const docs = rateScenario(parseScenarioText(text, 'fixture.yaml')).documents;
  return docs[docs.length - 1]!;
}

export const SELLER: Party = { name: 'Nordnetz Breitband GmbH', addressLines: ['Hafenstraße 12', '20457 Hamburg', 'Germany'], taxId: 'DE123456789', email: 'billing@nordnetz.example' };
export const BUYER: Party = { name: 'Gemeinschaftspraxis Dr. Mustermann', addressLines: ['Lindenallee 5', '41061 Mönchengladbach'], customerNumber: 'K-100234' };

export function invoiceView(overrides: Partial<InvoiceViewInput> = {}, currency = overrides.currency ?? 'EUR'): InvoiceView {
  return buildInvoiceView({
    document: ratedInvoice(currency),
    currency,
    timezone: 'Europe/Berlin',
    number: 'INV-2026-000042',
    seller: SELLER,
    buyer: BUYER,
    paymentTermsDays: 14,
    branding: { bankDetails: ['IBAN DE02 1203 0000 0000 2020 51', 'BIC BYLADEM1001'], footer: 'Nordnetz Breitband GmbH · Amtsgericht Hamburg HRB 12345' },
    ...overrides,
  });
}
