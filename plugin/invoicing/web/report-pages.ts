import type { Request, Response, Router } from 'express';
import { formatBytes } from '../../common/bytes.js';
import { formatMinor } from '../../common/money.js';
import { revenueByKind, revenueByMonth, topCustomers, usageByTariff } from '../reports/aggregate.js';
import { barChartSvg } from '../reports/chart.js';
import { toCsv } from '../reports/csv.js';
import { parseReportRange, type ReportRange } from '../reports/range.js';
import type { InvoicingWebDeps } from './deps.js';
import { namesOf } from './invoice-pages.js';
import { money } from './filters.js';
import { formErrors } from './page-forms.js';

/** Everything the reports page and its CSV files show, for one selection. */
async function loadReports(deps: InvoicingWebDeps, range: ReportRange) {
  const [revenue, kinds, tariffAmounts, tariffBytes, customers] = await Promise.all([
    deps.reports.revenueRows(range.fromDate, range.toDate),
    deps.reports.kindRows(range.fromDate, range.toDate),
    deps.reports.tariffAmountRows(range.fromDate, range.toDate),
    deps.reports.tariffBytesRows(range.fromDate, range.toDate),
    range.period ? deps.reports.customerRows(range.period, range.top) : Promise.resolve([]),
  ]);
  const top = topCustomers(customers, range.top);
  const names = await namesOf(deps, top.map((c) => c.accountId));
  return {
    months: revenueByMonth(revenue),
    kinds: revenueByKind(kinds),
    tariffs: usageByTariff(tariffAmounts, tariffBytes),
    customers: top.map((c) => ({ ...c, name: names.get(c.accountId) ?? `account ${c.accountId}` })),
  };
}

type Reports = Awaited<ReturnType<typeof loadReports>>;

const currenciesOf = (rows: ReadonlyArray<{ currency: string }>) => [...new Set(rows.map((r) => r.currency))].sort();

function chartsPerCurrency<T extends { currency: string }>(rows: readonly T[], title: (c: string) => string, bar: (r: T) => { label: string; value: bigint }) {
  return currenciesOf(rows).map((c) => barChartSvg({ title: title(c), bars: rows.filter((r) => r.currency === c).map(bar), format: (v) => money(v, c) }));
}

export function reportPages(router: Router, deps: InvoicingWebDeps): void {
  async function selection(req: Request) {
    const latest = (await deps.reports.periods(1))[0] ?? null;
    return parseReportRange(req.query as Record<string, unknown>, deps.clock.now().getTime(), deps.timezone, latest);
  }

  router.get('/reports', async (req, res) => {
    const { range, issues } = await selection(req);
    const data: Reports = issues.length ? { months: [], kinds: [], tariffs: [], customers: [] } : await loadReports(deps, range);
    const csv = (name: string) => `/reports/${name}.csv?${new URLSearchParams({ from: range.fromMonth, to: range.toMonth, period: range.period, top: String(range.top) })}`;
    res.status(issues.length ? 422 : 200).render('reports/index', {
      title: 'Reports',
      range,
      periods: await deps.reports.periods(36),
      errors: formErrors(issues),
      csv: { revenue: csv('revenue'), customers: csv('customers'), kinds: csv('kinds'), tariffs: csv('tariffs') },
      months: data.months.map((m) => ({ month: m.month, currency: m.currency, invoices: m.invoices, creditNotes: m.creditNotes, net: money(m.netMinor, m.currency), tax: money(m.taxMinor, m.currency), total: money(m.totalMinor, m.currency), credited: money(m.creditedTotalMinor, m.currency) })),
      monthCharts: chartsPerCurrency(data.months, (c) => `Invoiced total per month of issue (${c}), credit notes subtracted`, (m) => ({ label: m.month, value: m.totalMinor })),
      customers: data.customers.map((c) => ({ accountId: c.accountId, name: c.name, currency: c.currency, invoiced: money(c.invoicedMinor, c.currency), credited: money(c.creditedMinor, c.currency), net: money(c.netMinor, c.currency) })),
      customerCharts: chartsPerCurrency(data.customers, (c) => `Top ${range.top} accounts of ${range.period} (${c})`, (r) => ({ label: r.name, value: r.netMinor })),
      kinds: data.kinds.map((k) => ({ currency: k.currency, total: money(k.totalMinor, k.currency), groups: k.groups.map((g) => ({ label: g.label, amount: money(g.amountMinor, k.currency) })) })),
      kindCharts: data.kinds.map((k) => barChartSvg({ title: `Line amounts by kind of charge (${k.currency})`, bars: k.groups.map((g) => ({ label: g.label, value: g.amountMinor })), format: (v) => money(v, k.currency) })),
      tariffs: data.tariffs.map((t) => ({ periodKey: t.periodKey, tariff: t.tariff, currency: t.currency, lines: t.lines, download: formatBytes(t.download), upload: formatBytes(t.upload), total: formatBytes(t.download + t.upload), amount: money(t.amountMinor, t.currency) })),
      tariffCharts: chartsPerCurrency(data.tariffs, (c) => `Usage charges per tariff and period (${c})`, (t) => ({ label: `${t.periodKey.slice(0, 7)} ${t.tariff}`, value: t.amountMinor })),
    });
  });

  const csvRoute = (name: string, build: (d: Reports) => string) =>
    router.get(`/reports/${name}.csv`, async (req: Request, res: Response) => {
      const { range, issues } = await selection(req);
      if (issues.length) return res.status(422).type('text/plain').send(issues.map((i) => `${i.field}: ${i.message}`).join('\n') + '\n');
      res.type('text/csv; charset=utf-8').attachment(`octet-${name}-${range.fromMonth}-${range.toMonth}.csv`).send(build(await loadReports(deps, range)));
    });

  // Amounts as plain decimals in major units with the currency beside them: spreadsheets sum them.
  csvRoute('revenue', (d) => toCsv(['month', 'currency', 'invoices', 'credit_notes', 'net', 'tax', 'total', 'credited'], d.months.map((m) => [m.month, m.currency, m.invoices, m.creditNotes, formatMinor(m.netMinor, m.currency), formatMinor(m.taxMinor, m.currency), formatMinor(m.totalMinor, m.currency), formatMinor(m.creditedTotalMinor, m.currency)])));
  csvRoute('customers', (d) => toCsv(['account_id', 'name', 'currency', 'invoiced', 'credited', 'net'], d.customers.map((c) => [c.accountId, c.name, c.currency, formatMinor(c.invoicedMinor, c.currency), formatMinor(c.creditedMinor, c.currency), formatMinor(c.netMinor, c.currency)])));
  csvRoute('kinds', (d) => toCsv(['currency', 'kind', 'amount'], d.kinds.flatMap((k) => k.groups.map((g) => [k.currency, g.label, formatMinor(g.amountMinor, k.currency)]))));
  csvRoute('tariffs', (d) => toCsv(['period', 'tariff_code', 'tariff_version', 'currency', 'lines', 'download_bytes', 'upload_bytes', 'amount'], d.tariffs.map((t) => [t.periodKey, t.code, t.version, t.currency, t.lines, t.download, t.upload, formatMinor(t.amountMinor, t.currency)])));
}
