import { expect } from 'chai';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runOctet } from '../../support/cli.js';

const FILE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'config', 'rate-scenarios', 'welcome-discount.yaml');

interface Doc {
  type: string;
  issuedAt: string;
  lines: Array<{ kind: string; description: string; amount: string; tax: { amount: string } | null }>;
  totals: { net: { amount: string }; tax: { amount: string }; total: { amount: string } };
}

describe('octet rate with discounts (config/rate-scenarios/welcome-discount.yaml)', () => {
  it('prints each discount as a negative line after what it reduces, "3 months half price" ending on 1 April, and the credit note taking back the discount of the unused days', async () => {
    const res = await runOctet(['rate', FILE]);
    expect(res.code, res.stderr).to.equal(0);
    const docs = (JSON.parse(res.stdout) as { documents: Doc[] }).documents;
    expect(docs.map((d) => [d.type, d.issuedAt.slice(0, 10), d.totals.net.amount, d.totals.tax.amount, d.totals.total.amount])).to.deep.equal([
      ['invoice', '2026-01-10', '14.16', '2.69', '16.85'],
      ['invoice', '2026-02-01', '21.51', '4.09', '25.60'],
      ['invoice', '2026-03-01', '21.50', '4.08', '25.58'],
      ['invoice', '2026-03-20', '1.30', '0.25', '1.55'],
      ['credit_note', '2026-03-20', '7.08', '1.35', '8.43'],
    ]);
    expect(docs[0]!.lines.map((l) => [l.kind, l.amount, l.tax?.amount])).to.deep.equal([
      ['recurring_fee', '21.22', '4.03'],
      ['discount', '-10.61', '-2.01'],
      ['recurring_item', '3.55', '0.67'],
    ]);
    expect(docs[4]!.lines.map((l) => [l.kind, l.description, l.amount])).to.deep.equal([
      ['recurring_fee', 'Fibre 50 (FIBRE-50 v1): unused days', '10.61'],
      ['discount', 'Discount WELCOME, Three months half price (50%) on Fibre 50 (FIBRE-50 v1): unused days', '-5.30'],
      ['recurring_item', 'Static IPv4 address: unused days', '1.77'],
    ]);
  });
});
