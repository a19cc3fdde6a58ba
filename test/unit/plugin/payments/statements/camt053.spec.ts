import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { ValidationError } from '../../../../../plugin/common/errors.js';
import { parseCamt053 } from '../../../../../plugin/payments/statements/camt053.js';

// Fixtures (test/fixtures/camt053/) are shaped as ISO 20022 camt.053.001.02 / .001.08 and these
// published guides define them: ING "Format Description CAMT.052.001.02 and CAMT.053.001.02"
// (NL v4.0, 2016), Betaalvereniging Nederland "IG Bank to Customer Statement (camt.053)" v2.0,
// and SIX "Swiss Implementation Guidelines for Customer-Bank Messages (Reports): camt.052,
// camt.053, camt.054" (Swiss Payment Standards, v1.7.1, 2020; levels A GrpHdr, B Stmt, C Ntry,
// D TxDtls), whose later editions use camt.053.001.08.
const fixture = (name: string) => readFileSync(new URL(`../../../../fixtures/camt053/${name}`, import.meta.url), 'utf8');

describe('camt.053 statements', () => {
  describe('version .02', () => {
    const file = parseCamt053(fixture('camt053.001.02.xml'));
    const s = file.statements[0]!;

    it('reads the statement id, the account IBAN and the message id', () => {
      expect(file.version).to.equal('02');
      expect(file.messageId).to.equal('MSG-20261201-0001');
      expect(s.statementId).to.equal('STMT-2026-12-01');
      expect(s.source).to.equal('camt053:DE89370400440532013000');
    });

    it('takes booked credits only, in exact minor units, with the bank reference, remittance, end-to-end id and payer', () => {
      expect(s.lines).to.deep.equal([
        { externalId: '2026120100001', amountMinor: 11900n, currency: 'EUR', bookingDate: '2026-12-01', valueDate: '2026-12-01', remittance: 'Rechnung INV-000123 danke', references: [], endToEndId: 'E2E-A-0001', payer: 'Erika Mustermann' },
        { externalId: '2026120100003', amountMinor: 10438n, currency: 'EUR', bookingDate: '2026-12-01', valueDate: '2026-12-02', remittance: '', references: ['RF18539007547034'], endToEndId: null, payer: 'Max Muster' },
      ]);
    });

    it('lists the debit and the pending entry as skipped, with why', () => {
      expect(s.skipped).to.deep.equal([
        { externalId: '2026120100002', reason: 'debit' },
        { externalId: '2026120100004', reason: 'status PDNG, not BOOK' },
      ]);
    });
  });

  describe('version .08', () => {
    const s = parseCamt053(fixture('camt053.001.08.xml')).statements[0]!;

    it('reads Sts/Cd, Dbtr/Pty/Nm, a booking DtTm and several Ustrd lines; the IBAN loses its spaces', () => {
      expect(s.source).to.equal('camt053:CH9300762011623852957');
      expect(s.lines[0]).to.deep.equal({ externalId: 'CH-20261202-A1', amountMinor: 123450n, currency: 'CHF', bookingDate: '2026-12-02', valueDate: '2026-12-02', remittance: 'Kunde 42 Dezember', references: [], endToEndId: 'E2E-CH-77', payer: 'Muster AG' });
    });

    it('splits a batch entry into its transactions, each with its own reference and amount', () => {
      expect(s.lines.slice(1).map((l) => [l.externalId, l.amountMinor, l.remittance, l.references, l.payer])).to.deep.equal([
        ['CH-20261202-B2#1', 10000n, 'INV-000200', [], 'Anna Beispiel'],
        ['CH-20261202-B2#2', 20000n, '', ['INV-000201'], 'Beat Probe'],
      ]);
    });

    it('skips a reversal', () => {
      expect(s.skipped).to.deep.equal([{ externalId: 'CH-20261202-C3', reason: 'reversal' }]);
    });
  });

  it('reads a prefixed namespace and every statement of a file', () => {
    const one = fixture('camt053.001.02.xml');
    const stmt = one.slice(one.indexOf('<Stmt>'), one.indexOf('</Stmt>') + '</Stmt>'.length);
    const second = stmt.replace('STMT-2026-12-01', 'STMT-2').replace('DE89370400440532013000', 'DE02120300000000202051');
    const prefixed = one
      .replace(stmt, stmt + second)
      .replace('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"', '<c:Document xmlns:c="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"')
      .replace('</Document>', '</c:Document>')
      .replace(/<(\/?)(BkToCstmrStmt|GrpHdr|MsgId|Stmt|Ntry|Amt|CdtDbtInd|Sts|AcctSvcrRef)\b/g, '<$1c:$2');
    const file = parseCamt053(prefixed);
    expect(file.statements.map((s) => [s.statementId, s.source, s.lines.length])).to.deep.equal([
      ['STMT-2026-12-01', 'camt053:DE89370400440532013000', 2],
      ['STMT-2', 'camt053:DE02120300000000202051', 2],
    ]);
  });

  describe('malformed files are refused whole, naming where', () => {
    const refused = (xml: string): ValidationError => {
      try {
        parseCamt053(xml);
      } catch (err) {
        expect(err).to.be.instanceOf(ValidationError);
        return err as ValidationError;
      }
      throw new Error('was accepted');
    };
    const good = fixture('camt053.001.02.xml');

    it('XML that is not well-formed: the line and column', () => {
      const err = refused(good.replace('</Ntry>', '</Ntr>'));
      expect(err.message).to.match(/^camt\.053: line \d+, column \d+: not well-formed XML/);
      expect(err.message).to.contain('nothing was imported');
    });

    it('a pain.001 or other namespace', () => {
      expect(refused(good.replace('xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"', 'xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"')).message).to.contain('Document/@xmlns: not a camt.053 namespace');
    });

    it('an amount with more decimals than its currency has, naming the entry', () => {
      const err = refused(good.replace('<Amt Ccy="EUR">104.38</Amt>', '<Amt Ccy="EUR">104.385</Amt>'));
      expect(err.issues[0]!.field).to.equal('Stmt[1]/Ntry[3]/Amt');
      expect(err.message).to.contain('more decimals than EUR has');
    });

    it('an entry without a currency or a CdtDbtInd', () => {
      expect(refused(good.replace('<Amt Ccy="EUR">119.00</Amt>\n        <CdtDbtInd>', '<Amt>119.00</Amt>\n        <CdtDbtInd>')).issues[0]!.field).to.equal('Stmt[1]/Ntry[1]/Amt/@Ccy');
      expect(refused(good.replace('<CdtDbtInd>DBIT</CdtDbtInd>', '<CdtDbtInd>X</CdtDbtInd>')).issues[0]!.field).to.equal('Stmt[1]/Ntry[2]/CdtDbtInd');
    });

    it('a batch whose transactions do not add up to the entry', () => {
      const xml = fixture('camt053.001.08.xml').replace('<Amt Ccy="CHF">200.00</Amt>', '<Amt Ccy="CHF">199.00</Amt>');
      expect(refused(xml).message).to.contain('Stmt[1]/Ntry[2]/NtryDtls: the transactions add up to 29900 minor units, the entry says 30000');
    });
  });
});
