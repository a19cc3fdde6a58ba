import { expect } from 'chai';
import { csvLine, numberCell, textCell } from '../../../../../plugin/invoicing/delivery/csv.js';
import { invoiceCells, lineCells } from '../../../../../plugin/invoicing/delivery/export-rows.js';

describe('CSV cells for the accountant', () => {
  it('quotes a field with a comma, a quote or a line break, doubling the quotes (RFC 4180)', () => {
    expect(csvLine(['plain', 'a,b', 'say "hi"', 'two\nlines', ''])).to.equal('plain,"a,b","say ""hi""","two\nlines",\r\n');
  });

  it('writes a cell that a spreadsheet would run as a formula with a leading apostrophe', () => {
    for (const s of ['=HYPERLINK("http://evil")', '+1+1', '-2+3', '@SUM(A1)', '\tx', '\rx']) expect(textCell(s)).to.equal(`'${s}`);
    expect(textCell('Müller & Co')).to.equal('Müller & Co');
  });

  it('keeps negative amounts as numbers, but guards anything else that starts like a formula', () => {
    expect(numberCell('-12.50')).to.equal('-12.50');
    expect(numberCell('1234')).to.equal('1234');
    expect(numberCell('-1+1')).to.equal("'-1+1");
    expect(numberCell(null)).to.equal('');
  });

  it('writes amounts in major units with the currency\'s exponent, never through a float', () => {
    const base = { id: '1', number: 'INV-000001', type: 'invoice' as const, issueDate: '2026-03-01', dueDate: '2026-03-15', accountId: 7, customerName: '=cmd', status: 'issued' as const, creditedNumber: null };
    expect(invoiceCells({ ...base, currency: 'EUR', netMinor: 1050n, taxMinor: 200n, totalMinor: 1250n })).to.deep.equal(['INV-000001', 'invoice', '2026-03-01', '2026-03-15', '7', "'=cmd", 'EUR', '10.50', '2.00', '12.50', 'issued', '']);
    expect(invoiceCells({ ...base, currency: 'KWD', netMinor: 1250n, taxMinor: 0n, totalMinor: 1250n }).slice(7, 10)).to.deep.equal(['1.250', '0.000', '1.250']);
    expect(invoiceCells({ ...base, currency: 'JPY', netMinor: 90071992547409931n, taxMinor: 0n, totalMinor: 90071992547409931n })[9]).to.equal('90071992547409931');
  });

  it('writes a line with its period as UTC instants and a credit as a negative amount', () => {
    const cells = lineCells({
      lineId: '1', number: 'CN-000001', currency: 'EUR', position: 2, kind: 'credit', serviceId: null, description: 'Refund, "goodwill"', tariffCode: null, tariffVersion: null,
      fromMs: Date.UTC(2026, 1, 1), toMs: Date.UTC(2026, 2, 1), quantity: '1', unit: 'item', unitPrice: '-5.5', amountMinor: -550n, taxMinor: -105n,
    });
    expect(cells).to.deep.equal(['CN-000001', '2', 'credit', '', 'Refund, "goodwill"', '', '', '2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z', '1', 'item', '-5.5', '-5.50', '-1.05']);
  });
});
