import { z } from 'zod';
import { ValidationError, type FieldIssue } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { Branding, Party } from './document/invoice-view.js';

/**
 * The invoice profile: who the seller is and how its invoices look (seller details, bank details,
 * footer, colours, locale and number format, payment terms, logo). Kept in the settings table
 * under `invoicing.profile` as JSON and edited by admins on Settings → Invoice profile. The
 * billing run reads `current()` when it issues a document and freezes the result into the
 * invoice's snapshot, so a later change never alters an issued invoice.
 *
 * Nothing set yet: the seller is "Your ISP" with no address, the default branding, 14 days.
 */
export const PROFILE_SETTING = 'invoicing.profile';
export const DEFAULT_PAYMENT_TERMS_DAYS = 14;
export const DEFAULT_SELLER_NAME = 'Your ISP';

const line = z.string().trim().max(200);
const lines = (max: number) => z.array(line).max(max).transform((a) => a.filter((s) => s !== ''));
// Stored profiles hold null for an empty optional field; forms send ''. Both read as null.
const optionalText = (max: number) => z.string().trim().max(max).nullable().transform((s) => (s === null || s === '' ? null : s));
const colour = z.string().trim().regex(/^#[0-9a-fA-F]{6}$/, 'a colour like #1f3a5f');
// Separators that cannot be mistaken for digits or minus signs, and that print in a PDF.
const separator = z.enum(['.', ',', ' ', '\u00a0', "'", '\u202f', '']);

export const invoiceProfileSchema = z
  .strictObject({
    companyName: z.string().trim().min(1, 'the company name is printed on every invoice').max(200),
    addressLines: lines(6),
    taxId: optionalText(60),
    email: z.union([z.literal(''), z.null(), z.string().trim().email('an e-mail address like billing@isp.example').max(200)]).transform((s) => (s === '' || s === null ? null : s)),
    phone: optionalText(60),
    bankDetails: lines(8),
    footer: z.string().trim().max(500),
    primaryColour: colour,
    accentColour: colour,
    locale: z
      .string()
      .trim()
      .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a locale like en-GB or de-DE')
      .refine((l) => Intl.DateTimeFormat.supportedLocalesOf([l]).length > 0, 'a locale this server knows, like en-GB or de-DE'),
    decimalSeparator: z.enum(['.', ',']),
    groupSeparator: separator,
    currencyPosition: z.enum(['before', 'after']),
    paymentTermsDays: z.coerce.number().int('whole days').min(0).max(365),
    logoDataUrl: z.string().regex(/^data:image\/(png|jpeg|svg\+xml);base64,[A-Za-z0-9+/=]+$/).max(800_000).nullable(),
  })
  .refine((p) => p.decimalSeparator !== p.groupSeparator, { message: 'must differ from the decimal separator', path: ['groupSeparator'] });

export type InvoiceProfile = z.output<typeof invoiceProfileSchema>;

export const DEFAULT_PROFILE: InvoiceProfile = {
  companyName: DEFAULT_SELLER_NAME,
  addressLines: [],
  taxId: null,
  email: null,
  phone: null,
  bankDetails: [],
  footer: '',
  primaryColour: '#1f3a5f',
  accentColour: '#e8eef5',
  locale: 'en-GB',
  decimalSeparator: '.',
  groupSeparator: ',',
  currencyPosition: 'after',
  paymentTermsDays: DEFAULT_PAYMENT_TERMS_DAYS,
  logoDataUrl: null,
};

/** What billing freezes into an issued invoice. */
export interface IssuingProfile {
  seller: Party;
  branding: Partial<Branding>;
  paymentTermsDays: number;
}

/** The profile as the invoice prints it. Party has no phone: it goes under the address. */
export function issuingProfile(p: InvoiceProfile): IssuingProfile {
  return {
    seller: { name: p.companyName, addressLines: [...p.addressLines, ...(p.phone ? [`Tel. ${p.phone}`] : [])], taxId: p.taxId, email: p.email },
    branding: {
      primaryColour: p.primaryColour,
      accentColour: p.accentColour,
      logoDataUrl: p.logoDataUrl,
      bankDetails: p.bankDetails,
      footer: p.footer,
      locale: p.locale,
      numberFormat: { decimalSeparator: p.decimalSeparator, groupSeparator: p.groupSeparator, currencyPosition: p.currencyPosition },
    },
    paymentTermsDays: p.paymentTermsDays,
  };
}

/** Zod's issues as the page shows them: one message per field. */
export function fieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((i) => ({ field: i.path.map(String).join('.') || 'profile', message: i.message }));
}

export interface SettingsStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
}

export class InvoiceProfileService {
  constructor(private readonly deps: { settings: SettingsStore; logger: Logger }) {}

  /** The stored profile, or the defaults (a stored value that no longer validates is logged and ignored field by field). */
  async get(): Promise<InvoiceProfile> {
    const text = await this.deps.settings.get(PROFILE_SETTING);
    if (text === null) return { ...DEFAULT_PROFILE };
    let stored: unknown;
    try {
      stored = JSON.parse(text);
    } catch {
      this.deps.logger.error('invoice profile setting is not JSON; using the defaults', { key: PROFILE_SETTING });
      return { ...DEFAULT_PROFILE };
    }
    const parsed = invoiceProfileSchema.safeParse({ ...DEFAULT_PROFILE, ...(stored as object) });
    if (parsed.success) return parsed.data;
    this.deps.logger.error('invoice profile setting does not validate; using the defaults', { key: PROFILE_SETTING, issues: fieldIssues(parsed.error) });
    return { ...DEFAULT_PROFILE };
  }

  /** What billing freezes into the snapshot at issue time. */
  async current(): Promise<IssuingProfile> {
    return issuingProfile(await this.get());
  }

  /** Validates and stores a whole profile; a ValidationError names each bad field, and nothing is stored. */
  async save(input: Record<string, unknown>): Promise<InvoiceProfile> {
    const parsed = invoiceProfileSchema.safeParse(input);
    if (!parsed.success) throw new ValidationError('the invoice profile has mistakes', fieldIssues(parsed.error));
    await this.deps.settings.set(PROFILE_SETTING, JSON.stringify(parsed.data));
    this.deps.logger.info('invoice profile saved', { seller: parsed.data.companyName, logo: parsed.data.logoDataUrl !== null });
    return parsed.data;
  }
}
