import { expect } from 'chai';
import { exactMinor } from '../../../../../plugin/payments/statements/amounts.js';
import { parseCsvStatement, validateMapping } from '../../../../../plugin/payments/statements/csv-statement.js';
import { matchCandidates } from '../../../../../plugin/payments/statements/matching.js';
import { ValidationError } from '../../../../../plugin/common/errors.js';

const line = (remittance: string, references: string[] = [], endToEndId: string | null = null) => ({ remittance, references, endToEndId });

describe('what a remittance text names', () => {
  it('invoice numbers as people type them, normalised to the series format', () => {
    expect(matchCandidates(line('Rechnung INV-000123 und inv 45, INV0000078')).invoiceNumbers).to.deep.equal(['INV-000123', 'INV-000045', 'INV-000078']);
    expect(matchCandidates(line('', ['INV-000200'])).invoiceNumbers).to.deep.equal(['INV-000200']);
  });

  it('account ids only with a prefix, so an amount or a date is never taken for one', () => {
    expect(matchCandidates(line('Kunde 42 Dezember 2026, ACC-7, customer #9, Kd.-Nr. 11')).accountIds).to.deep.equal([42, 7, 9, 11]);
    expect(matchCandidates(line('Miete 12 2026 119,00')).accountIds).to.deep.equal([]);
  });

  it('words with a digit as possible external ids, invoice numbers left out, at most 8', () => {
    expect(matchCandidates(line('CUST-7781 INV-000001 hello', [], 'E2E-1')).externalIds).to.deep.equal(['CUST-7781', 'E2E-1']);
    expect(matchCandidates(line(Array.from({ length: 20 }, (_, i) => `X${i}Y`).join(' '))).externalIds).to.have.length(8);
  });
});

describe('amounts as banks write them', () => {
  it('reads exactly into minor units with either decimal separator and thousands marks', () => {
    expect(exactMinor('1.234,50', 'EUR', ',')).to.deep.equal({ minor: 123450n });
    expect(exactMinor('1,234.5', 'EUR', '.')).to.deep.equal({ minor: 123450n });
    expect(exactMinor('-7', 'JPY', ',')).to.deep.equal({ minor: -7n });
    expect(exactMinor('0,125', 'KWD', ',')).to.deep.equal({ minor: 125n });
    expect(exactMinor('12.340', 'EUR')).to.deep.equal({ minor: 1234n });
  });

  it('refuses more decimals than the currency has, text, and unknown currencies', () => {
    expect(exactMinor('12.345', 'EUR')).to.deep.equal({ error: '"12.345" has more decimals than EUR has (2)' });
    expect(exactMinor('1,5', 'JPY', ',')).to.have.property('error');
    expect(exactMinor('abc', 'EUR')).to.have.property('error');
    expect(exactMinor('1', 'XXX')).to.have.property('error');
  });
});

describe('CSV statements through a column mapping', () => {
  const mapping = validateMapping({ bank: 'ing', delimiter: ',', decimalSeparator: '.', dateFormat: 'MM/DD/YYYY', date: 'Date', amount: 'Amount', defaultCurrency: 'USD', reference: 'Memo', transactionId: 'Id' });

  it('reads credits, skips debits, takes the default currency', () => {
    const s = parseCsvStatement('Date,Amount,Memo,Id\n12/01/2026,"1,000.10",INV-000001,T1\n12/02/2026,-3.00,fee,T2\n', mapping);
    expect(s.source).to.equal('csv:ing');
    expect(s.lines).to.deep.equal([{ externalId: 'T1', amountMinor: 100010n, currency: 'USD', bookingDate: '2026-12-01', valueDate: null, remittance: 'INV-000001', references: [], endToEndId: null, payer: null }]);
    expect(s.skipped).to.deep.equal([{ externalId: 'T2', reason: 'debit' }]);
  });

  it('refuses the whole file, naming each bad line and column', () => {
    const content = 'Date,Amount,Memo,Id\n13/01/2026,1.00,x,T1\n12/01/2026,1.001,x,T2\n12/01/2026,1.00,x,\n12/01/2026,1.00,x,T3\n12/01/2026,1.00,x,T3\n';
    try {
      parseCsvStatement(content, mapping);
      expect.fail('accepted');
    } catch (err) {
      expect(err).to.be.instanceOf(ValidationError);
      expect((err as ValidationError).issues.map((i) => i.field)).to.deep.equal(['line 2, Date', 'line 3, Amount', 'line 4, Id', 'line 6, Id']);
    }
  });

  it('refuses a file without the mapped columns, and a mapping without a currency', () => {
    expect(() => parseCsvStatement('Datum,Betrag\n', mapping)).to.throw(ValidationError, /has no column "Date"/);
    expect(() => validateMapping({ bank: 'x', date: 'a', amount: 'b', reference: 'c', transactionId: 'd' })).to.throw(ValidationError, /currency column or a default currency/);
    expect(() => validateMapping({ bank: 'Bad Name', date: 'a', amount: 'b', reference: 'c', transactionId: 'd', defaultCurrency: 'EUR' })).to.throw(ValidationError, /bank/);
  });
});
