import type { FieldIssue } from '../common/errors.js';
import type { TariffInput } from '../rating/index.js';

/**
 * The tariff form (pure): what a billing person types, to and from a tariff definition. Tiers,
 * time bands and top-ups are one per line, values separated by commas, so a table of any length
 * fits and every error names its line:
 *   tiers:      from, to, unit price[, flat fee]   (to empty: open-ended, the last tier only)
 *   time bands: name, from HH:MM, to HH:MM, percent
 *   top-ups:    code, units, price
 * A comma between two digits is refused (a decimal comma would otherwise shift the columns).
 */

export const FORM_FIELDS = [
  'code', 'name', 'currency', 'recurringFee', 'taxInclusive', 'direction', 'unit', 'includedUnits', 'chargeModel',
  'unitPrice', 'block', 'packageSize', 'packagePrice', 'freeUnits', 'tiers', 'timeBands', 'topUps', 'fairUseCap', 'fairUseRate',
] as const;
export type FormValues = Record<(typeof FORM_FIELDS)[number], string>;

export const CHARGE_MODELS = ['none', 'per_unit', 'package', 'graduated', 'volume'] as const;

const LINE_COLUMNS = {
  tiers: { names: ['from', 'to', 'unitPrice', 'flatFee'], labels: ['from', 'to', 'unit price', 'flat fee'], required: 3, hint: 'from, to, unit price and optionally a flat fee' },
  timeBands: { names: ['name', 'from', 'to', 'percent'], labels: ['name', 'from', 'to', 'percent'], required: 4, hint: 'name, from (HH:MM), to (HH:MM), percent' },
  topUps: { names: ['code', 'units', 'price'], labels: ['code', 'units', 'price'], required: 3, hint: 'code, units, price' },
} as const;
type LineField = keyof typeof LINE_COLUMNS;

function lines(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim());
}

/** Rows of a line field; blank lines are skipped but still counted, so numbers match what was typed. */
function rowsOf(field: LineField, text: string, issues: FieldIssue[]): Array<{ line: number; row: Record<string, string> }> {
  const spec = LINE_COLUMNS[field];
  const out: Array<{ line: number; row: Record<string, string> }> = [];
  lines(text).forEach((l, i) => {
    if (!l) return;
    // "0,02" would split into two values and price silently wrong: decimals take a point.
    if (/\d,\d/.test(l)) {
      issues.push({ field, message: `line ${i + 1}: write decimals with a point (0.02) and separate values with a comma and a space (got "${l}")` });
      return;
    }
    const cells = l.split(',').map((c) => c.trim());
    if (cells.length < spec.required || cells.length > spec.names.length) {
      issues.push({ field, message: `line ${i + 1}: needs ${spec.hint} (got "${l}")` });
      return;
    }
    const row: Record<string, string> = {};
    cells.forEach((c, j) => {
      if (c !== '') row[spec.names[j]!] = c;
    });
    out.push({ line: i + 1, row });
  });
  return out;
}

/**
 * Form values to a tariff input for rating's schema, plus the issues of the line fields' shape.
 * `lineOf` maps a position in a list back to its line in the form, for the schema's errors.
 */
export function inputFromForm(v: Partial<FormValues>): { input: Record<string, unknown>; issues: FieldIssue[]; lineOf: Record<LineField, number[]> } {
  const issues: FieldIssue[] = [];
  const s = (k: keyof FormValues) => (v[k] ?? '').trim();
  const usage: Record<string, unknown> = { direction: s('direction') || 'download', unit: s('unit') || 'GB' };
  if (s('includedUnits')) usage.includedUnits = s('includedUnits');
  const lineOf: Record<LineField, number[]> = { tiers: [], timeBands: [], topUps: [] };
  const model = s('chargeModel') || 'none';
  if (model === 'per_unit') usage.charge = { model, unitPrice: s('unitPrice'), ...(s('block') ? { block: s('block') } : {}) };
  else if (model === 'package') usage.charge = { model, packageSize: s('packageSize'), packagePrice: s('packagePrice'), ...(s('freeUnits') ? { freeUnits: s('freeUnits') } : {}) };
  else if (model === 'graduated' || model === 'volume') {
    const rows = rowsOf('tiers', v.tiers ?? '', issues);
    lineOf.tiers = rows.map((r) => r.line);
    if (!rows.length && !issues.some((i) => i.field === 'tiers')) issues.push({ field: 'tiers', message: 'a tiered model needs at least one tier line' });
    usage.charge = { model, tiers: rows.map((r) => r.row) };
  } else if (model !== 'none') issues.push({ field: 'chargeModel', message: `must be one of ${CHARGE_MODELS.join(', ')}` });
  const bands = rowsOf('timeBands', v.timeBands ?? '', issues);
  lineOf.timeBands = bands.map((r) => r.line);
  if (bands.length) usage.timeBands = bands.map((r) => r.row);
  const topUps = rowsOf('topUps', v.topUps ?? '', issues);
  lineOf.topUps = topUps.map((r) => r.line);
  if (topUps.length) usage.topUps = topUps.map((r) => r.row);
  if (s('fairUseCap') || s('fairUseRate')) usage.fairUse = { capUnits: s('fairUseCap'), throttleRate: s('fairUseRate') };
  const input: Record<string, unknown> = {
    code: s('code'),
    name: s('name'),
    currency: s('currency').toUpperCase(),
    recurringFee: s('recurringFee'),
    taxInclusive: v.taxInclusive === 'true' || v.taxInclusive === 'on',
    usage,
  };
  return { input, issues, lineOf };
}

const LABELS: Record<string, string> = { unitPrice: 'unit price', flatFee: 'flat fee', capUnits: 'cap', throttleRate: 'rate', packageSize: 'package size', packagePrice: 'package price', freeUnits: 'free units' };

/** A schema issue (dotted path of the tariff input) as the form field it belongs to. */
export function formIssue(issue: FieldIssue, lineOf: Record<LineField, number[]>): FieldIssue {
  const p = issue.field.split('.');
  const list = (field: LineField, index: string, column: string | undefined): FieldIssue => {
    const line = lineOf[field][Number(index)] ?? Number(index) + 1;
    const col = column ? `, ${LABELS[column] ?? column}` : '';
    return { field, message: `line ${line}${col}: ${issue.message}` };
  };
  if (p[0] !== 'usage') return { field: p[0] ?? '', message: issue.message };
  if (p[1] === 'charge' && p[2] === 'tiers' && p[3] !== undefined) return list('tiers', p[3], p[4]);
  if (p[1] === 'charge' && p[2] === 'tiers') return { field: 'tiers', message: issue.message };
  if (p[1] === 'charge' && p[2] === 'model') return { field: 'chargeModel', message: issue.message };
  if (p[1] === 'charge' && p[2]) return { field: p[2], message: issue.message };
  if ((p[1] === 'timeBands' || p[1] === 'topUps') && p[2] !== undefined) return list(p[1], p[2], p[3]);
  if (p[1] === 'fairUse') return { field: p[2] === 'throttleRate' ? 'fairUseRate' : 'fairUseCap', message: issue.message };
  if (p[1] === 'direction' || p[1] === 'unit' || p[1] === 'includedUnits') return { field: p[1], message: issue.message };
  return { field: '', message: `${issue.field}: ${issue.message}` };
}

/** A stored definition as form values (for the edit form). */
export function formFromDefinition(d: TariffInput): FormValues {
  const u = (d.usage ?? {}) as NonNullable<TariffInput['usage']>;
  const c = u.charge as Record<string, unknown> | undefined;
  const str = (x: unknown) => (x === undefined || x === null ? '' : String(x));
  const tiers = (c?.tiers as Array<Record<string, unknown>> | undefined) ?? [];
  return {
    code: d.code,
    name: d.name,
    currency: d.currency,
    recurringFee: str(d.recurringFee),
    taxInclusive: d.taxInclusive ? 'true' : 'false',
    direction: str(u.direction) || 'download',
    unit: str(u.unit) || 'GB',
    includedUnits: str(u.includedUnits),
    chargeModel: str(c?.model) || 'none',
    unitPrice: str(c?.unitPrice),
    block: str(c?.block),
    packageSize: str(c?.packageSize),
    packagePrice: str(c?.packagePrice),
    freeUnits: str(c?.freeUnits),
    tiers: tiers.map((t) => [t.from, t.to, t.unitPrice, t.flatFee].map(str).join(', ').replace(/(, )+$/, '')).join('\n'),
    timeBands: (u.timeBands ?? []).map((b) => [b.name, b.from, b.to, b.percent].map(str).join(', ')).join('\n'),
    topUps: (u.topUps ?? []).map((p) => [p.code, p.units, p.price].map(str).join(', ')).join('\n'),
    fairUseCap: str(u.fairUse?.capUnits),
    fairUseRate: str(u.fairUse?.throttleRate),
  };
}
