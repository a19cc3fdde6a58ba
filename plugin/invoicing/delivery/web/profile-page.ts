import type { Request, RequestHandler, Response, Router } from 'express';
import multer from 'multer';
import { requireRole } from '../../../web/guards.js';
import { DEFAULT_PROFILE, fieldIssues, invoiceProfileSchema, type InvoiceProfile, type InvoiceProfileService } from '../../profile.js';
import { checkLogo, MAX_LOGO_BYTES } from '../logo.js';

export const PROFILE_PATH = '/settings/invoice-profile';

const TEXT_FIELDS = ['companyName', 'taxId', 'email', 'phone', 'footer', 'primaryColour', 'accentColour', 'locale', 'decimalSeparator', 'groupSeparator', 'currencyPosition', 'paymentTermsDays'] as const;
const LINE_FIELDS = ['addressLines', 'bankDetails'] as const;
const ALL_FIELDS = [...TEXT_FIELDS, ...LINE_FIELDS, 'logo'];

/**
 * The page's multipart parser (the logo), run by the app after the login check and followed by
 * its CSRF check (WebContribution.uploads). A logo over the limit is reported beside the field.
 */
export function profileUploadParser(): RequestHandler {
  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: MAX_LOGO_BYTES, files: 1, fields: 40, parts: 42, fieldSize: 16 * 1024 } }).single('logo');
  return (req, res, next) => {
    upload(req, res, (err: unknown) => {
      if (err) {
        const code = (err as { code?: string }).code;
        res.locals.logoError = code === 'LIMIT_FILE_SIZE' ? `is larger than ${MAX_LOGO_BYTES / 1024} KB` : `could not be read (${(err as Error).message})`;
      }
      next();
    });
  };
}

/** The profile as the form's strings. */
function formValues(p: InvoiceProfile): Record<string, string> {
  return {
    companyName: p.companyName,
    addressLines: p.addressLines.join('\n'),
    taxId: p.taxId ?? '',
    email: p.email ?? '',
    phone: p.phone ?? '',
    bankDetails: p.bankDetails.join('\n'),
    footer: p.footer,
    primaryColour: p.primaryColour,
    accentColour: p.accentColour,
    locale: p.locale,
    decimalSeparator: p.decimalSeparator,
    groupSeparator: p.groupSeparator,
    currencyPosition: p.currencyPosition,
    paymentTermsDays: String(p.paymentTermsDays),
  };
}

function render(res: Response, model: { values: Record<string, string>; logoDataUrl: string | null; errors: Record<string, string>; general: string[]; saved: boolean }, status = 200): void {
  res.status(status).render('settings/invoice-profile', { title: 'Invoice profile', defaultName: DEFAULT_PROFILE.companyName, ...model });
}

const splitLines = (s: unknown) => (typeof s === 'string' ? s.split(/\r?\n/).map((l) => l.trim()) : []);

export function profilePage(router: Router, deps: { profile: InvoiceProfileService }): void {
  const admin = requireRole('admin');

  router.get(PROFILE_PATH, admin, async (req, res) => {
    const p = await deps.profile.get();
    render(res, { values: formValues(p), logoDataUrl: p.logoDataUrl, errors: {}, general: [], saved: req.query.saved === '1' });
  });

  router.post(PROFILE_PATH, admin, async (req: Request, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const current = await deps.profile.get();
    const input: Record<string, unknown> = {};
    for (const f of TEXT_FIELDS) input[f] = typeof body[f] === 'string' ? body[f] : '';
    for (const f of LINE_FIELDS) input[f] = splitLines(body[f]);
    const values: Record<string, string> = {};
    for (const f of [...TEXT_FIELDS, ...LINE_FIELDS]) values[f] = typeof body[f] === 'string' ? (body[f] as string) : '';
    const errors: Record<string, string> = {};
    // The logo: a new upload replaces it, "remove" drops it, otherwise the current one stays.
    let logo = body.removeLogo === 'on' ? null : current.logoDataUrl;
    if (res.locals.logoError) errors.logo = `The logo ${res.locals.logoError as string}.`;
    else if (req.file && req.file.size > 0) {
      const check = checkLogo(req.file.buffer);
      if (check.ok) logo = check.dataUrl;
      else errors.logo = `The logo is refused: ${check.message}.`;
    }
    input.logoDataUrl = logo;
    const general: string[] = [];
    const parsed = invoiceProfileSchema.safeParse(input);
    if (!parsed.success) {
      for (const i of fieldIssues(parsed.error)) {
        const field = i.field.split('.')[0]!;
        if (ALL_FIELDS.includes(field)) errors[field] = errors[field] ? `${errors[field]}; ${i.message}` : i.message;
        else general.push(`${i.field}: ${i.message}`);
      }
    }
    if (Object.keys(errors).length || general.length) {
      // Nothing was stored: the form comes back with what was typed and the logo as it is now.
      return render(res, { values, logoDataUrl: current.logoDataUrl, errors, general, saved: false }, 422);
    }
    await deps.profile.save(input);
    res.redirect(303, `${PROFILE_PATH}?saved=1`);
  });
}
