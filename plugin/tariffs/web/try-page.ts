import type { Router } from 'express';
import { DateTime } from 'luxon';
import { stringify } from 'yaml';
import { ConfigError, NotFoundError } from '../../common/errors.js';
import { parseScenarioText, rateScenario, ratingJson, type TariffInput } from '../../rating/index.js';
import type { Clock } from '../../common/clock.js';
import type { TariffsService } from '../tariffs.service.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- ratingJson's JSON is read field by field for the tables */
type J = any;

/**
 * A scenario to start from: the tariff's current definition, a service on it from the start of
 * this month, steady usage, and the invoices of two months (the format `octet rate` reads).
 */
export function sampleScenario(definition: TariffInput, timezone: string, nowMs: number): string {
  const month = DateTime.fromMillis(nowMs, { zone: timezone }).startOf('month');
  const start = month.toISODate()!;
  const utcFrom = DateTime.fromISO(start, { zone: 'UTC' });
  const doc = {
    currency: definition.currency,
    timezone,
    cycle: 'calendar',
    rounding: 'half-up',
    account: { tax: { name: 'VAT', percent: '20' }, taxOn: 'line' },
    tariffs: [definition],
    service: { start, tariffs: [{ tariff: definition.code, from: start }] },
    usage: [{ every: 'hour', from: utcFrom.toISO({ suppressMilliseconds: true })!, to: utcFrom.plus({ days: 30 }).toISO({ suppressMilliseconds: true })!, download: '300000000', upload: '30000000' }],
    invoices: { from: start, to: month.plus({ months: 2 }).toISODate()! },
  };
  return `# Try a tariff: edit anything below and rate it. Nothing is saved.\n${stringify(doc)}`;
}

/** About eleven years of hourly buckets. */
export const TRY_MAX_BUCKETS = 100_000;

const EMPTY = `# Paste a scenario (the format of config/rate-scenarios/*.yaml), or pick a tariff above.\n`;

/** The documents, lines and totals of a rating as rows for the page's tables. */
export function resultModel(json: J) {
  return {
    currency: json.currency as string,
    documents: (json.documents as J[]).map((d) => ({
      type: d.type === 'credit_note' ? 'Credit note' : 'Invoice',
      issuedAt: d.issuedAt,
      period: `${d.period.from} – ${d.period.to} (${d.period.days} days)`,
      lines: (d.lines as J[]).map((l) => ({
        kind: l.kind,
        description: l.description,
        tariff: l.tariff ? `${l.tariff.code} v${l.tariff.version}` : '',
        span: `${l.from} – ${l.to}`,
        quantity: `${l.quantity} ${l.unit}`,
        unitPrice: l.unitPrice ?? '',
        amount: l.amount,
        tax: l.tax ? l.tax.amount : '',
        details: ((l.details ?? []) as J[]).map((x) => `${x.tier !== undefined ? `tier ${x.tier}: ` : ''}${x.units} × ${x.unitPrice}${x.flatFee !== '0' ? ` + ${x.flatFee}` : ''} = ${x.amount}`),
      })),
      usage: (d.usage as J[]).map((u) => ({ tariff: `${u.tariff.code} v${u.tariff.version}`, units: `${u.units} ${u.unit}`, included: u.includedUnits, topUps: u.topUpUnits, charged: u.chargedUnits })),
      taxes: (d.taxes as J[]).map((t) => ({ name: t.exemptReason ? `exempt: ${t.exemptReason}` : `${t.name} ${t.percent}%`, net: t.net.amount, tax: t.tax.amount, gross: t.gross.amount })),
      totals: { net: d.totals.net.amount, tax: d.totals.tax.amount, total: d.totals.total.amount },
    })),
  };
}

export function tryPage(router: Router, deps: { catalogue: TariffsService; timezone: string; clock: Clock }): void {
  const render = (res: Parameters<Parameters<Router['get']>[1]>[1], model: { text: string; chosen: string; codes: string[]; errors: string[]; result: ReturnType<typeof resultModel> | null }, status = 200) =>
    res.status(status).render('tariffs/try', { title: 'Try a tariff', ...model });

  router.get('/tariffs/try', async (req, res) => {
    const codes = (await deps.catalogue.list()).map((l) => l.entry.code);
    const chosen = typeof req.query.tariff === 'string' ? req.query.tariff : '';
    let text = EMPTY;
    if (chosen) {
      const d = await deps.catalogue.get(chosen).catch((err: unknown) => {
        if (err instanceof NotFoundError) return null;
        throw err;
      });
      if (!d) return render(res, { text, chosen, codes, errors: [`there is no tariff ${chosen}`], result: null }, 404);
      text = sampleScenario(d.versions[d.versions.length - 1]!.definition, deps.timezone, deps.clock.now().getTime());
    }
    render(res, { text, chosen, codes, errors: [], result: null });
  });

  // Rating is pure: this reads the posted text and writes nothing anywhere.
  router.post('/tariffs/try', async (req, res) => {
    const codes = (await deps.catalogue.list()).map((l) => l.entry.code);
    const text = typeof req.body?.scenario === 'string' ? (req.body.scenario as string) : '';
    try {
      const scenario = parseScenarioText(text, 'scenario');
      // The page answers while others wait on the same process; `octet rate` takes the big ones.
      if (scenario.usage.length > TRY_MAX_BUCKETS) throw new ConfigError('scenario', [{ field: 'usage', message: `the page rates at most ${TRY_MAX_BUCKETS} usage buckets (this has ${scenario.usage.length}); use octet rate for more` }]);
      const result = resultModel(ratingJson(rateScenario(scenario), scenario.timezone));
      render(res, { text, chosen: '', codes, errors: [], result });
    } catch (err) {
      const errors =
        err instanceof ConfigError ? err.issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)) : [`the scenario could not be rated: ${err instanceof Error ? err.message : String(err)}`];
      render(res, { text, chosen: '', codes, errors, result: null }, 422);
    }
  });
}
