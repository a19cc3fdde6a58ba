import { expect } from 'chai';
import { ExportRepository } from '../../../../../plugin/invoicing/delivery/export.repository.js';
import { forEachDatabase } from '../../../../support/databases.js';
import { issue, testSnapshot } from './fixtures.js';
import { deliveryFixture, type DeliveryFixture } from './support.js';

forEachDatabase('the export\'s reads', (dialect) => {
  let f: DeliveryFixture;
  before(async () => (f = await deliveryFixture(dialect)));
  after(() => f.close());

  it('walks every document and line in pages by id, so no read holds more than a page', async () => {
    const issued = await issue(f.plugin.ctx, Array.from({ length: 7 }, (_, i) => testSnapshot({ accountId: i + 1 })));
    const repo = new ExportRepository(f.plugin.ctx.db);
    const seen: string[] = [];
    for await (const r of repo.invoices({}, 3)) seen.push(r.number);
    expect(seen).to.deep.equal(issued.map((i) => i.number));
    let lines = 0;
    const positions: number[] = [];
    for await (const l of repo.lines({}, 4)) (lines++, positions.push(l.position));
    const perInvoice = testSnapshot().document.lines.length;
    expect(lines).to.equal(7 * perInvoice);
    expect(positions.slice(0, perInvoice)).to.deep.equal(Array.from({ length: perInvoice }, (_, i) => i + 1));
  });
});
