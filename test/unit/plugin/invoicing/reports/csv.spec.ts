import { expect } from 'chai';
import { toCsv } from '../../../../../plugin/invoicing/reports/csv.js';

describe('report CSV files', () => {
  it('quotes what needs quoting, ends lines with CRLF and guards against formulas but not negative numbers', () => {
    const text = toCsv(['name', 'net'], [['Müller, "Praxis"', '-12.50'], ['=HYPERLINK("x")', 3n], ['@cmd', null]]);
    expect(text).to.equal('name,net\r\n"Müller, ""Praxis""",-12.50\r\n"\'=HYPERLINK(""x"")",3\r\n\'@cmd,\r\n');
  });
});
