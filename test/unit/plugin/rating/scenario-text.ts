/** Builds scenario files for the rating specs. */
/** A scenario in the file format, with the parts a test varies spliced in. */
export function scenarioText(parts: { head?: string; service: string; tariffs?: string; items?: string; topUps?: string; usage?: string; invoices?: string }): string {
  return [
    parts.head ?? 'currency: EUR\ntimezone: Europe/Berlin\naccount:\n  tax: { name: VAT, percent: 19 }',
    'tariffs:',
    parts.tariffs ??
      `  - { code: BASIC, name: Basic, currency: EUR, recurringFee: 31.00, usage: { direction: both, unit: GB, includedUnits: 100, charge: { model: per_unit, unitPrice: 0.10 } } }
  - { code: PLUS, name: Plus, currency: EUR, recurringFee: 62.00, usage: { direction: download, unit: GB, includedUnits: 0, charge: { model: per_unit, unitPrice: 0.01 } } }`,
    `service:\n${parts.service}`,
    parts.items ? `items:\n${parts.items}` : '',
    parts.topUps ? `topUps:\n${parts.topUps}` : '',
    parts.usage ? `usage:\n${parts.usage}` : '',
    `invoices: ${parts.invoices ?? '{ from: 2026-01-01, to: 2026-06-01 }'}`,
  ].join('\n');
}
