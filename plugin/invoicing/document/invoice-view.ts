import { DateTime } from 'luxon';
import { formatBytes } from '../../common/bytes.js';
import { Dec } from '../../common/money.js';
import type { RatedDocument } from '../../rating/index.js';
import { DEFAULT_NUMBER_FORMAT, formatAmount, formatDecimal, unitPriceText, type NumberFormat } from './number-format.js';

/**
 * The invoice document's view model: everything the one EJS template prints, already formatted
 * (text only), so the template holds no rule and never queries. Built by a pure function from a
 * rated document (plugin/rating) plus the parties, the number and the branding settings.
 */

export interface Party {
  name: string;
  addressLines: string[];
  taxId?: string | null;
  email?: string | null;
  customerNumber?: string | null;
}

export interface Branding {
  /** CSS colours (#rrggbb), checked so that a setting cannot break out of the style sheet. */
  primaryColour: string;
  accentColour: string;
  /** A data: URL (image/png, image/jpeg or image/svg+xml): no external URL ever reaches the template. */
  logoDataUrl: string | null;
  bankDetails: string[];
  footer: string;
  /** BCP 47 locale for dates ("de-DE"). */
  locale: string;
  numberFormat: NumberFormat;
}

export const DEFAULT_BRANDING: Branding = {
  primaryColour: '#1f3a5f',
  accentColour: '#e8eef5',
  logoDataUrl: null,
  bankDetails: [],
  footer: '',
  locale: 'en-GB',
  numberFormat: DEFAULT_NUMBER_FORMAT,
};

export interface InvoiceViewInput {
  document: RatedDocument;
  currency: string;
  timezone: string;
  number: string;
  seller: Party;
  buyer: Party;
  /** Payment terms in days after the issue date. */
  paymentTermsDays: number;
  branding?: Partial<Branding>;
  /** Printed above the lines (a credit note names the invoice it corrects and why). */
  notes?: string[];
}

export interface InvoiceLineView {
  description: string;
  period: string;
  quantity: string;
  unit: string;
  unitPrice: string;
  amount: string;
  tax: string;
}

export interface InvoiceView {
  title: string;
  number: string;
  currency: string;
  issueDate: string;
  dueDate: string;
  /** The issue instant, ISO in UTC: the renderer stamps the PDF's dates with it. */
  issuedAtIso: string;
  period: string;
  seller: Party;
  buyer: Party;
  lines: InvoiceLineView[];
  usage: Array<{ period: string; tariff: string; download: string; upload: string; counted: string; units: string; included: string; charged: string; bands: string | null; fairUse: string | null }>;
  notes: string[];
  taxes: Array<{ label: string; net: string; tax: string; gross: string }>;
  totals: { net: string; tax: string; total: string };
  branding: Branding;
}

const COLOUR = /^#[0-9a-fA-F]{6}$/;
const LOGO = /^data:image\/(png|jpeg|svg\+xml);base64,[A-Za-z0-9+/=]+$/;

export function checkedBranding(b: Partial<Branding> = {}): Branding {
  const merged: Branding = { ...DEFAULT_BRANDING, ...b, numberFormat: { ...DEFAULT_NUMBER_FORMAT, ...b.numberFormat } };
  if (!COLOUR.test(merged.primaryColour)) merged.primaryColour = DEFAULT_BRANDING.primaryColour;
  if (!COLOUR.test(merged.accentColour)) merged.accentColour = DEFAULT_BRANDING.accentColour;
  if (merged.logoDataUrl !== null && !LOGO.test(merged.logoDataUrl)) merged.logoDataUrl = null;
  return merged;
}

export function buildInvoiceView(input: InvoiceViewInput): InvoiceView {
  const { document: doc, currency, timezone } = input;
  const branding = checkedBranding(input.branding);
  const nf = branding.numberFormat;
  const money = (minor: bigint) => formatAmount(minor, currency, nf);
  const date = (ms: number) => DateTime.fromMillis(ms, { zone: timezone }).setLocale(branding.locale).toLocaleString(DateTime.DATE_MED);
  // A period [from, to) is printed with its last day, as people read it.
  const span = (fromMs: number, toMs: number) => {
    const first = date(fromMs);
    const last = date(Math.max(fromMs, toMs - 1));
    return first === last ? first : `${first} – ${last}`;
  };
  // formatBytes writes "120.00 GB" (under 1000 of its unit, so no grouping): only the separator follows the settings.
  const bytes = (n: bigint) => formatBytes(n).replace('.', nf.decimalSeparator);
  const issued = DateTime.fromMillis(doc.issuedAtMs, { zone: timezone });
  return {
    title: doc.type === 'credit_note' ? 'Credit note' : 'Invoice',
    number: input.number,
    currency,
    issueDate: date(doc.issuedAtMs),
    dueDate: date(issued.plus({ days: input.paymentTermsDays }).toMillis()),
    issuedAtIso: new Date(doc.issuedAtMs).toISOString(),
    period: span(doc.period.fromMs, doc.period.toMs),
    seller: input.seller,
    buyer: input.buyer,
    lines: doc.lines.map((l, i) => {
      const tax = doc.lineTaxes[i];
      return {
        description: l.description,
        period: span(l.fromMs, l.toMs),
        quantity: formatDecimal(l.quantity, nf, 0, 6),
        unit: l.unit,
        unitPrice: l.unitPrice === null ? '' : unitPriceText(l.unitPrice, currency, nf),
        amount: money(l.amountMinor),
        tax: tax?.taxMinor == null ? '' : money(tax.taxMinor),
      };
    }),
    usage: doc.usage.map((u) => {
      const units = (d: Dec) => `${formatDecimal(d, nf, 0, 3)} ${u.unit}`;
      const free = u.modelFreeUnits ?? new Dec(0);
      const bands = u.byBand.filter((b) => b.band !== null && b.bytes > 0n).map((b) => `${b.band}: ${bytes(b.bytes)} counted at ${b.percent.toFixed()} %`);
      return {
        period: span(u.fromMs, u.toMs),
        tariff: `${u.tariff.code} v${u.tariff.version}`,
        download: bytes(u.downloadBytes),
        upload: bytes(u.uploadBytes),
        counted: bytes(u.countedBytes),
        units: units(u.units),
        included: units(u.includedUnits.plus(u.topUpUnits).plus(free)),
        // A flat tariff reports its usage but charges none of it.
        charged: u.usageCharged === false ? 'not charged' : units(Dec.max(0, u.chargedUnits.minus(free))),
        bands: bands.length ? `Time bands: ${bands.join('; ')}` : null,
        fairUse:
          u.fairUse === null
            ? null
            : u.fairUse.crossedAtMs === null
              ? `Fair use: ${formatDecimal(u.fairUse.capUnits, nf, 0, 3)} ${u.unit} cap not reached`
              : `Fair use: ${formatDecimal(u.fairUse.capUnits, nf, 0, 3)} ${u.unit} cap reached ${date(u.fairUse.crossedAtMs)}, then ${u.fairUse.throttleRate}`,
      };
    }),
    notes: input.notes ?? [],
    taxes: doc.taxes.map((t) => ({
      label: t.exemptReason !== null ? `${t.name} (exempt: ${t.exemptReason})` : `${t.name} ${t.percent ?? ''}%`,
      net: money(t.netMinor),
      tax: money(t.taxMinor),
      gross: money(t.grossMinor),
    })),
    totals: { net: money(doc.totals.netMinor), tax: money(doc.totals.taxMinor), total: money(doc.totals.totalMinor) },
    branding,
  };
}
