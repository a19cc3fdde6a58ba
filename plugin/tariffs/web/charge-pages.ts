import type { Router } from 'express';
import { CHARGE_FIELDS } from '../charges.js';
import type { ChargesService } from '../charges.service.js';
import { DISCOUNT_FIELDS } from '../discounts.js';
import type { DiscountsService } from '../discounts.service.js';
import type { TariffsService } from '../tariffs.service.js';
import { requireRole } from '../../web/guards.js';
import { actorOf, canWrite, formBody, formErrorsOf, idFrom, NO_ERRORS, utc, type FormErrors } from './forms.js';

/**
 * Extra charges of an account (/tariffs/charges?account=ID) and top-ups of a service
 * (/tariffs/topups?service=ID): list, add, remove. The account page links here. The account's
 * discounts are on the same page (they reduce its charges): list, add, remove.
 */
export function chargePages(router: Router, deps: { charges: ChargesService; discounts: DiscountsService; catalogue: TariffsService; timezone: string }): void {
  const billing = requireRole('billing');
  const { charges, discounts } = deps;
  type Form = { values: Record<string, string>; errors: FormErrors };
  const EMPTY_DISCOUNT: Form = { values: { appliesTo: 'recurring_fee' }, errors: NO_ERRORS };

  const renderCharges = async (res: Parameters<Parameters<Router['get']>[1]>[1], accountId: number, form: Form, status = 200, discountForm: Form = EMPTY_DISCOUNT) => {
    const list = await charges.listCharges(accountId, true);
    const offs = await discounts.list(accountId, true);
    res.status(status).render('tariffs/charges', {
      title: `Extra charges of account #${accountId}`,
      accountId,
      timezone: deps.timezone,
      canWrite: canWrite(res),
      rows: list.map((c) => ({
        id: c.id,
        code: c.code,
        description: c.description,
        serviceId: c.serviceId ?? '',
        price: c.priceText,
        taxInclusive: c.taxInclusive ? 'yes' : 'no',
        when: c.recurring ? `every period ${c.fromDate ?? '(start)'} – ${c.toDate ?? '(open)'}` : `once, at ${c.atMs === null ? '' : utc(c.atMs)}`,
        status: c.status,
        removable: c.status === 'active',
      })),
      form,
      discounts: offs.map((d) => ({
        id: d.id,
        code: d.code,
        description: d.description,
        serviceId: d.serviceId ?? 'all services',
        appliesTo: d.appliesTo === 'recurring_fee' ? 'recurring fee' : d.appliesTo === 'usage' ? 'usage' : 'all charges',
        size: d.kind === 'percent' ? `${d.valueText}%` : `${d.valueText} per period`,
        valid: `${d.fromDate ?? '(start)'} – ${d.untilDate ?? '(open)'}${d.periods === null ? '' : `, ${d.periods} period${d.periods === 1 ? '' : 's'}`}`,
        status: d.status,
        removable: d.status === 'active',
      })),
      discountForm,
    });
  };

  router.post('/tariffs/discounts', billing, async (req, res) => {
    const accountId = idFrom(req.query.account);
    const values = formBody(req, DISCOUNT_FIELDS);
    try {
      await discounts.add(accountId, values, actorOf(res));
      res.redirect(303, `/tariffs/charges?account=${accountId}`);
    } catch (err) {
      await renderCharges(res, accountId, { values: { recurring: 'true' }, errors: NO_ERRORS }, 422, { values, errors: formErrorsOf(err, DISCOUNT_FIELDS) });
    }
  });

  router.post('/tariffs/discounts/:id/remove', billing, async (req, res) => {
    const d = await discounts.remove(idFrom(req.params.id), actorOf(res));
    res.redirect(303, `/tariffs/charges?account=${d.accountId}`);
  });

  router.get('/tariffs/charges', async (req, res) => {
    await renderCharges(res, idFrom(req.query.account), { values: { recurring: 'true' }, errors: NO_ERRORS });
  });

  router.post('/tariffs/charges', billing, async (req, res) => {
    const accountId = idFrom(req.query.account);
    const values = formBody(req, CHARGE_FIELDS, ['taxInclusive']);
    try {
      await charges.addCharge(accountId, values, actorOf(res));
      res.redirect(303, `/tariffs/charges?account=${accountId}`);
    } catch (err) {
      await renderCharges(res, accountId, { values, errors: formErrorsOf(err, CHARGE_FIELDS) }, 422);
    }
  });

  router.post('/tariffs/charges/:id/remove', billing, async (req, res) => {
    const c = await charges.removeCharge(idFrom(req.params.id), actorOf(res));
    res.redirect(303, `/tariffs/charges?account=${c.accountId}`);
  });

  const renderTopUps = async (res: Parameters<Parameters<Router['get']>[1]>[1], serviceId: number, form: { values: Record<string, string>; errors: FormErrors }, status = 200) => {
    const list = await charges.listTopUps(serviceId);
    res.status(status).render('tariffs/topups', {
      title: `Top-ups of service #${serviceId}`,
      serviceId,
      canWrite: canWrite(res),
      rows: list.map((p) => ({ id: p.id, code: p.code, at: utc(p.atMs), createdBy: p.createdBy })),
      form,
    });
  };

  router.get('/tariffs/topups', async (req, res) => {
    await renderTopUps(res, idFrom(req.query.service), { values: {}, errors: NO_ERRORS });
  });

  router.post('/tariffs/topups', billing, async (req, res) => {
    const serviceId = idFrom(req.query.service);
    const values = formBody(req, ['code', 'at']);
    try {
      await charges.buyTopUp(serviceId, values, actorOf(res));
      res.redirect(303, `/tariffs/topups?service=${serviceId}`);
    } catch (err) {
      await renderTopUps(res, serviceId, { values, errors: formErrorsOf(err, ['code', 'at']) }, 422);
    }
  });
}
