import { expect } from 'chai';
import { Dec, formatMinor } from '../../../../plugin/common/money.js';
import { loadInvoiceTemplate } from '../../../../plugin/invoicing/document/template.js';
import { BUYER, invoiceView, ratedInvoice } from './fixtures.js';

const template = loadInvoiceTemplate();

describe('the invoice document', () => {
  it('says why usage was not charged: a flat tariff, a free band, a package\'s free units', () => {
    const doc = ratedInvoice('EUR');
    const u = doc.usage[0]!;
    const night = { band: 'night', percent: new Dec(0), bytes: 75_000_000_000n, weightedBytes: new Dec(0) };
    const flat = invoiceView({ document: { ...doc, usage: [{ ...u, usageCharged: false, byBand: [night, ...u.byBand] }] } }).usage[0]!;
    expect(flat.charged).to.equal('not charged');
    expect(flat.bands).to.equal('Time bands: night: 75.00 GB counted at 0 %');
    const pack = invoiceView({ document: { ...doc, usage: [{ ...u, includedUnits: new Dec(0), topUpUnits: new Dec(0), chargedUnits: new Dec('7.3'), modelFreeUnits: new Dec(1), usageCharged: true }] } }).usage[0]!;
    expect([pack.included, pack.charged]).to.deep.equal(['1 GB', '6.3 GB']);
    expect(invoiceView().usage[0]!.bands).to.equal(null);
  });

  it('prints a fair-use cap and the day it was reached under the usage summary, and notes above the lines', () => {
    const doc = ratedInvoice('EUR');
    const usage = doc.usage.map((u) => ({ ...u, fairUse: { capUnits: u.units.minus(1), throttleRate: '2M/2M', crossedAtMs: Date.parse('2026-01-15T10:00:00Z') } }));
    const v = invoiceView({ document: { ...doc, usage }, notes: ['Corrects invoice INV-000007: installation delayed'] });
    expect(v.usage[0]!.fairUse).to.equal(`Fair use: ${usage[0]!.fairUse.capUnits.toFixed(0)} GB cap reached 15 Jan 2026, then 2M/2M`);
    const html = template(v);
    expect(html).to.contain('Corrects invoice INV-000007: installation delayed');
    expect(html).to.contain('cap reached 15 Jan 2026, then 2M/2M');
    expect(invoiceView().usage[0]!.fairUse).to.equal(null);
  });

  describe('amounts in the currency of the invoice', () => {
    it('prints yen without decimals, grouped by thousands', () => {
      const doc = ratedInvoice('JPY');
      const v = invoiceView({}, 'JPY');
      for (const [i, l] of v.lines.entries()) {
        expect(l.amount).to.match(/^\d{1,3}(,\d{3})* JPY$/);
        expect(l.amount.replace(/,/g, '')).to.equal(`${doc.lines[i]!.amountMinor} JPY`);
      }
      expect(v.totals.total.replace(/,/g, '')).to.equal(`${doc.totals.totalMinor} JPY`);
    });

    it('prints Kuwaiti dinars with three decimals, to the fils', () => {
      const doc = ratedInvoice('KWD');
      const v = invoiceView({}, 'KWD');
      for (const [i, l] of v.lines.entries()) {
        expect(l.amount).to.match(/^\d{1,3}(,\d{3})*\.\d{3} KWD$/);
        expect(l.amount.replace(/,/g, '')).to.equal(`${formatMinor(doc.lines[i]!.amountMinor, 'KWD')} KWD`);
      }
      expect(v.totals.total).to.equal(`${formatMinor(doc.totals.totalMinor, 'KWD')} KWD`);
    });

    it('writes amounts the way the settings say: "1.234,50 EUR" in a German number format', () => {
      const doc = ratedInvoice('EUR');
      const v = invoiceView({ branding: { numberFormat: { decimalSeparator: ',', groupSeparator: '.', currencyPosition: 'after' } } });
      const expected = formatMinor(doc.totals.totalMinor, 'EUR').replace('.', ',');
      expect(v.totals.total).to.equal(`${expected} EUR`);
      expect(v.usage[0]!.download).to.match(/^\d+,\d{2} GB$/);
      const big = invoiceView({ document: { ...doc, totals: { ...doc.totals, totalMinor: 123456789n } }, branding: { numberFormat: { decimalSeparator: ',', groupSeparator: '.', currencyPosition: 'before' } } });
      expect(big.totals.total).to.equal('EUR 1.234.567,89');
    });

    it('adds the payment terms to the issue date for the due date', () => {
      const v = invoiceView({ paymentTermsDays: 14 });
      const issued = new Date(ratedInvoice().issuedAtMs);
      expect(v.issuedAtIso).to.equal(issued.toISOString());
      expect(v.issueDate).to.equal('1 Feb 2026');
      expect(v.dueDate).to.equal('15 Feb 2026');
    });
  });

  describe('the template', () => {
    it('prints a customer name with <script> in it as text, never as markup', () => {
      const html = template(invoiceView({ buyer: { ...BUYER, name: '<script>alert("x")</script> & Söhne' } }));
      expect(html).to.include('&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Söhne');
      expect(html).not.to.match(/<script/i);
    });

    it('has every line, the number and the total, and no URL that would fetch anything', () => {
      const v = invoiceView();
      const html = template(v);
      for (const l of v.lines) {
        expect(html).to.include(l.description.replace(/\(/g, '('));
        expect(html).to.include(l.amount);
      }
      expect(html).to.include(v.number);
      expect(html).to.include(v.totals.total);
      expect(html).not.to.match(/(https?:)?\/\/[a-z0-9]/i);
      expect(html).not.to.match(/@import|url\(/i);
    });

    it('ignores a colour or logo setting that would break out of the style sheet or point at a URL', () => {
      const v = invoiceView({ branding: { primaryColour: 'red;}</style><script>x()</script>', logoDataUrl: 'https://cdn.example/logo.png' } });
      expect(v.branding.primaryColour).to.match(/^#[0-9a-f]{6}$/i);
      expect(v.branding.logoDataUrl).to.equal(null);
      const html = template(v);
      expect(html).not.to.include('cdn.example');
      expect(html).not.to.match(/<script/i);
    });

    it('shows an uploaded logo inline, as a data URL', () => {
      const logo = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
      const html = template(invoiceView({ branding: { logoDataUrl: logo } }));
      expect(html).to.include(`src="${logo}"`);
    });
  });
});
