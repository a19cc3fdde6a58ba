import type { Request, Response, Router } from 'express';
import { apiToken, requireApiRole } from '../api/router.js';
import { ValidationError } from '../common/errors.js';
import type { StoredCharge } from './charges.repository.js';
import type { ChargesService } from './charges.service.js';
import type { TopUpPurchase } from './charges.js';
import type { StoredDiscount } from './discounts.repository.js';
import type { DiscountsService } from './discounts.service.js';
import type { CatalogueEntry, TariffDetail, TariffsService, VersionDetail } from './tariffs.service.js';

/** The JSON shapes of plugin/api/openapi.yaml (#/components/schemas/Tariff*, ExtraCharge, TopUp). */
export function versionJson(v: VersionDetail) {
  return { version: v.tariff.version, effectiveFrom: new Date(v.effectiveFromMs).toISOString(), createdBy: v.createdBy, createdAt: v.createdAt.toISOString(), definition: v.definition };
}

function entryJson(e: CatalogueEntry) {
  return { code: e.code, name: e.name, currency: e.currency, status: e.status, currentVersion: e.currentVersion };
}

export function tariffJson(d: TariffDetail) {
  return { ...entryJson(d.entry), createdAt: d.createdAt.toISOString(), updatedAt: d.updatedAt.toISOString(), versions: d.versions.map(versionJson) };
}

export function chargeJson(c: StoredCharge) {
  return {
    id: c.id,
    accountId: c.accountId,
    serviceId: c.serviceId,
    code: c.code,
    description: c.description,
    price: c.priceText,
    taxInclusive: c.taxInclusive,
    recurring: c.recurring,
    fromDate: c.fromDate,
    toDate: c.toDate,
    at: c.atMs === null ? null : new Date(c.atMs).toISOString(),
    status: c.status,
    createdBy: c.createdBy,
    createdAt: c.createdAt.toISOString(),
  };
}

export function discountJson(d: StoredDiscount) {
  return {
    id: d.id,
    accountId: d.accountId,
    serviceId: d.serviceId,
    code: d.code,
    description: d.description,
    appliesTo: d.appliesTo,
    percent: d.kind === 'percent' ? d.valueText : null,
    amount: d.kind === 'fixed' ? d.valueText : null,
    fromDate: d.fromDate,
    untilDate: d.untilDate,
    periods: d.periods,
    status: d.status,
    createdBy: d.createdBy,
    createdAt: d.createdAt.toISOString(),
  };
}

export function topUpJson(p: TopUpPurchase) {
  return { id: p.id, serviceId: p.serviceId, code: p.code, at: new Date(p.atMs).toISOString(), createdBy: p.createdBy };
}

function idParam(req: Request): number {
  const v = req.params.id;
  if (typeof v === 'string' && /^[1-9]\d{0,9}$/.test(v)) return Number(v);
  throw new ValidationError('id must be a positive whole number', [{ field: 'id', message: 'must be a positive whole number' }]);
}

function codeParam(req: Request): string {
  return String(req.params.code);
}

function actor(res: Response): string {
  return `token:${apiToken(res).id}`;
}

function body(req: Request): unknown {
  return req.body === undefined ? {} : (req.body as unknown);
}

export function tariffsApi(router: Router, parts: { catalogue: TariffsService; charges: ChargesService; discounts: DiscountsService }): void {
  const read = requireApiRole('readonly');
  const write = requireApiRole('billing');
  const { catalogue, charges } = parts;

  router.get('/tariffs', read, async (_req, res) => {
    const list = await catalogue.list();
    res.json({ items: list.map((l) => ({ ...entryJson(l.entry), definition: l.current.definition })) });
  });

  router.post('/tariffs', write, async (req, res) => {
    const d = await catalogue.create(body(req), actor(res));
    res.status(201).location(`/api/v1/tariffs/${encodeURIComponent(d.entry.code)}`).json(tariffJson(d));
  });

  router.get('/tariffs/:code', read, async (req, res) => {
    res.json(tariffJson(await catalogue.get(codeParam(req))));
  });

  router.put('/tariffs/:code', write, async (req, res) => {
    res.json(tariffJson(await catalogue.edit(codeParam(req), body(req), actor(res))));
  });

  router.post('/tariffs/:code/archive', write, async (req, res) => {
    res.json(tariffJson(await catalogue.archive(codeParam(req), actor(res))));
  });

  router.get('/accounts/:id/charges', read, async (req, res) => {
    const includeRemoved = req.query.includeRemoved === 'true';
    res.json({ items: (await charges.listCharges(idParam(req), includeRemoved)).map(chargeJson) });
  });

  router.post('/accounts/:id/charges', write, async (req, res) => {
    const c = await charges.addCharge(idParam(req), body(req), actor(res));
    res.status(201).json(chargeJson(c));
  });

  router.delete('/charges/:id', write, async (req, res) => {
    res.json(chargeJson(await charges.removeCharge(idParam(req), actor(res))));
  });

  router.get('/accounts/:id/discounts', read, async (req, res) => {
    res.json({ items: (await parts.discounts.list(idParam(req), req.query.includeRemoved === 'true')).map(discountJson) });
  });

  router.post('/accounts/:id/discounts', write, async (req, res) => {
    res.status(201).json(discountJson(await parts.discounts.add(idParam(req), body(req), actor(res))));
  });

  router.delete('/discounts/:id', write, async (req, res) => {
    res.json(discountJson(await parts.discounts.remove(idParam(req), actor(res))));
  });

  router.get('/services/:id/topups', read, async (req, res) => {
    res.json({ items: (await charges.listTopUps(idParam(req))).map(topUpJson) });
  });

  router.post('/services/:id/topups', write, async (req, res) => {
    res.status(201).json(topUpJson(await charges.buyTopUp(idParam(req), body(req), actor(res))));
  });
}
