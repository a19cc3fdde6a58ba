import type { Response, Router } from 'express';
import type { Clock } from '../../common/clock.js';
import { ConflictError, ValidationError, type FieldIssue } from '../../common/errors.js';
import { currencyExponent, isKnownCurrency, type Dec } from '../../common/money.js';
import { DIRECTIONS, UNITS, type Tariff } from '../../rating/index.js';
import type { ChargesService } from '../charges.service.js';
import { invalid, parseDefinition } from '../definition.js';
import { CHARGE_MODELS, FORM_FIELDS, formFromDefinition, formIssue, inputFromForm, type FormValues } from '../form.js';
import type { TariffDetail, TariffsService } from '../tariffs.service.js';
import { chargePages } from './charge-pages.js';
import type { DiscountsService } from '../discounts.service.js';
import { actorOf, canWrite, errorsOf, formBody, NO_ERRORS, utc, type FormErrors } from './forms.js';
import { tryPage } from './try-page.js';
import { requireRole } from '../../web/guards.js';

const requireBilling = requireRole('billing');

export interface TariffPagesDeps {
  catalogue: TariffsService;
  charges: ChargesService;
  discounts: DiscountsService;
  timezone: string;
  clock: Clock;
}

function modelOf(t: Tariff): string {
  return t.charge ? t.charge.model.replace('_', ' ') : 'flat (usage not charged)';
}

/** A price as a price list prints it: at least the currency's minor digits (49.90, not 49.9). */
function priceText(d: Dec, currency: string): string {
  return d.toFixed(Math.max(isKnownCurrency(currency) ? currencyExponent(currency) : 2, d.decimalPlaces()));
}

function summaryOf(t: Tariff) {
  return {
    fee: `${priceText(t.recurringFee, t.currency)} ${t.currency}${t.taxInclusive ? ' (tax included)' : ''}`,
    model: modelOf(t),
    usage: `${t.direction}, in ${t.unit}, ${t.includedUnits.toFixed()} ${t.unit} included`,
  };
}

const formOptions = { directions: DIRECTIONS, units: UNITS, models: CHARGE_MODELS };

function renderForm(res: Response, model: { code: string | null; values: Partial<FormValues>; errors: FormErrors; status?: string }, status = 200): void {
  res.status(status).render('tariffs/form', { title: model.code ? `Edit tariff ${model.code}` : 'New tariff', ...formOptions, status: model.status ?? '', ...model });
}

/**
 * Form issues from the shape of the line fields and, with them, the schema's own (so one post
 * shows every error); a ValidationError with all of them, as form fields.
 */
function checkForm(input: Record<string, unknown>, lineIssues: FieldIssue[]): void {
  if (!lineIssues.length) return;
  let schema: FieldIssue[] = [];
  try {
    parseDefinition(input);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    schema = err.issues;
  }
  // A table with a line left out (its shape was wrong) says nothing true about its order.
  const shaped = new Set(lineIssues.map((i) => i.field));
  const field = (i: FieldIssue) => (i.field.startsWith('usage.charge.tiers') ? 'tiers' : i.field.startsWith('usage.timeBands') ? 'timeBands' : i.field.startsWith('usage.topUps') ? 'topUps' : i.field);
  throw invalid([...lineIssues, ...schema.filter((i) => !shaped.has(field(i)))]);
}

function formErrors(err: unknown, lineOf: ReturnType<typeof inputFromForm>['lineOf']): FormErrors {
  if (!(err instanceof ValidationError || err instanceof ConflictError)) throw err;
  const issues = err.issues.map((i) => formIssue(i, lineOf));
  return errorsOf(issues, FORM_FIELDS, issues.length ? null : err.message);
}

function detailModel(d: TariffDetail) {
  const versions = [...d.versions].reverse();
  return {
    entry: d.entry,
    current: summaryOf(d.versions[d.versions.length - 1]!.tariff),
    versions: versions.map((v) => ({
      version: v.tariff.version,
      effectiveFrom: utc(v.effectiveFromMs),
      createdBy: v.createdBy,
      createdAt: utc(v.createdAt.getTime()),
      ...summaryOf(v.tariff),
      definition: JSON.stringify(v.definition, null, 2),
    })),
  };
}

export function tariffPages(router: Router, deps: TariffPagesDeps): void {
  const { catalogue } = deps;
  // Literal paths first: /tariffs/new, /try, /charges and /topups are not codes (definition.ts reserves them).
  tryPage(router, deps);
  chargePages(router, deps);

  router.get('/tariffs', async (_req, res) => {
    const list = await catalogue.list();
    res.render('tariffs/list', {
      title: 'Tariffs',
      canWrite: canWrite(res),
      rows: list.map(({ entry, current }) => ({ ...entry, href: `/tariffs/${encodeURIComponent(entry.code)}`, ...summaryOf(current.tariff) })),
    });
  });

  router.get('/tariffs/new', requireBilling, (_req, res) => {
    renderForm(res, { code: null, values: { direction: 'download', unit: 'GB', chargeModel: 'none', taxInclusive: 'false' }, errors: NO_ERRORS });
  });

  router.post('/tariffs', requireBilling, async (req, res) => {
    const values = formBody(req, FORM_FIELDS, ['taxInclusive']);
    const { input, issues, lineOf } = inputFromForm(values);
    try {
      checkForm(input, issues);
      const d = await catalogue.create(input, actorOf(res));
      res.redirect(303, `/tariffs/${encodeURIComponent(d.entry.code)}`);
    } catch (err) {
      renderForm(res, { code: null, values, errors: formErrors(err, lineOf) }, 422);
    }
  });

  router.get('/tariffs/:code', async (req, res) => {
    const d = await catalogue.get(String(req.params.code));
    const current = d.versions[d.versions.length - 1]!;
    res.render('tariffs/show', {
      title: `Tariff ${d.entry.code}`,
      canWrite: canWrite(res),
      ...detailModel(d),
      form: { values: formFromDefinition(current.definition), errors: NO_ERRORS },
      ...formOptions,
    });
  });

  router.post('/tariffs/:code', requireBilling, async (req, res) => {
    const d = await catalogue.get(String(req.params.code));
    const values = formBody(req, FORM_FIELDS, ['taxInclusive']);
    const { input, issues, lineOf } = inputFromForm(values);
    // Code and currency are shown, not posted: a version keeps them.
    delete input.code;
    if (!values.currency) delete input.currency;
    try {
      checkForm({ ...input, code: /^[A-Za-z0-9._-]{1,64}$/.test(d.entry.code) ? d.entry.code : 'legacy-code', currency: d.entry.currency }, issues);
      await catalogue.edit(d.entry.code, input, actorOf(res));
      res.redirect(303, `/tariffs/${encodeURIComponent(d.entry.code)}`);
    } catch (err) {
      res.status(422).render('tariffs/show', {
        title: `Tariff ${d.entry.code}`,
        canWrite: true,
        ...detailModel(d),
        form: { values: { ...values, code: d.entry.code, currency: d.entry.currency }, errors: formErrors(err, lineOf) },
        ...formOptions,
      });
    }
  });

  router.post('/tariffs/:code/archive', requireBilling, async (req, res) => {
    const d = await catalogue.archive(String(req.params.code), actorOf(res));
    res.redirect(303, `/tariffs/${encodeURIComponent(d.entry.code)}`);
  });
}
