import { expect } from 'chai';
import request from 'supertest';
import { DEFAULT_PROFILE } from '../../../../../plugin/invoicing/profile.js';
import { forEachDatabase } from '../../../../support/databases.js';
import { expectValidResponse } from '../../../../support/openapi.js';
import { createStaff, csrfFrom, loggedIn, type Browser } from '../../../../support/web.js';
import { TINY_PNG } from '../../../../unit/plugin/invoicing/delivery/logo.spec.js';
import { issue, testSnapshot } from './fixtures.js';
import { deliveryFixture, FakeRenderer, type DeliveryFixture } from './support.js';

/** Parses RFC 4180 text (quoted fields, doubled quotes, CRLF records) as an independent reader. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\r' && text[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    else cell += c;
  }
  if (cell || row.length) row.push(cell), rows.push(row);
  return rows;
}

const PROFILE_FORM = {
  companyName: 'Nordnetz Breitband GmbH',
  addressLines: 'Hafenstraße 12\n20457 Hamburg',
  taxId: 'DE123456789',
  email: 'billing@nordnetz.example',
  phone: '',
  bankDetails: 'IBAN DE02 1203 0000 0000 2020 51',
  footer: 'HRB 12345',
  primaryColour: '#112233',
  accentColour: '#eeeeee',
  locale: 'de-DE',
  decimalSeparator: ',',
  groupSeparator: '.',
  currencyPosition: 'after',
  paymentTermsDays: '21',
};

forEachDatabase('invoice delivery pages', (dialect) => {
  let f: DeliveryFixture;
  let admin: Browser;
  let readonly: Browser;

  before(async () => {
    f = await deliveryFixture(dialect, { renderer: new FakeRenderer() });
    admin = await loggedIn(f.plugin.app, await createStaff(f.plugin.ctx, 'admin'));
    readonly = await loggedIn(f.plugin.app, await createStaff(f.plugin.ctx, 'readonly'));
  });
  after(() => f.close());

  async function postProfile(browser: Browser, fields: Record<string, string>, logo?: { bytes: Buffer; name: string; type: string }) {
    const page = await browser.get('/settings/invoice-profile');
    const token = page.status === 200 ? csrfFrom(page.text) : csrfFrom((await browser.get('/delivery')).text);
    let r = browser.post('/settings/invoice-profile').field('_csrf', token);
    for (const [k, v] of Object.entries(fields)) r = r.field(k, v);
    if (logo) r = r.attach('logo', logo.bytes, { filename: logo.name, contentType: logo.type });
    return r;
  }

  describe('the invoice profile page', () => {
    it('saves the seller, the numbers and a PNG logo, which billing then freezes into invoices', async () => {
      const res = await postProfile(admin, PROFILE_FORM, { bytes: TINY_PNG, name: 'logo.png', type: 'image/png' });
      expect(res.status, res.text).to.equal(303);
      const current = await f.delivery.profile.current();
      expect(current.seller).to.deep.equal({ name: 'Nordnetz Breitband GmbH', addressLines: ['Hafenstraße 12', '20457 Hamburg'], taxId: 'DE123456789', email: 'billing@nordnetz.example' });
      expect(current.branding.logoDataUrl).to.equal(`data:image/png;base64,${TINY_PNG.toString('base64')}`);
      expect(current.paymentTermsDays).to.equal(21);
      const page = await admin.get('/settings/invoice-profile?saved=1').expect(200);
      expect(page.text).to.include('Saved.').and.include('Nordnetz Breitband GmbH').and.include('data:image/png;base64,');
    });

    it('refuses a .png that is really HTML and an SVG with a script, beside the field, keeping the logo it had', async () => {
      const before = await f.delivery.profile.get();
      const html = await postProfile(admin, { ...PROFILE_FORM, companyName: 'Changed' }, { bytes: Buffer.from('<html><body>hi</body></html>'), name: 'logo.png', type: 'image/png' });
      expect(html.status).to.equal(422);
      expect(html.text).to.include('The logo is refused: the file is not a PNG, JPEG or SVG image');
      expect(html.text).to.include('value="Changed"');
      const svg = await postProfile(admin, PROFILE_FORM, { bytes: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), name: 'logo.svg', type: 'image/svg+xml' });
      expect(svg.status).to.equal(422);
      expect(svg.text).to.include('the SVG is refused: it contains a script');
      expect(await f.delivery.profile.get()).to.deep.equal(before);
    });

    it('names each bad field and stores nothing', async () => {
      const before = await f.delivery.profile.get();
      const res = await postProfile(admin, { ...PROFILE_FORM, primaryColour: 'red', paymentTermsDays: 'soon' });
      expect(res.status).to.equal(422);
      expect(res.text).to.match(/id="primaryColour-error">Primary colour: a colour like #1f3a5f/);
      expect(res.text).to.include('id="paymentTermsDays-error"');
      // The separators are compared once every field reads right.
      const clash = await postProfile(admin, { ...PROFILE_FORM, groupSeparator: ',', decimalSeparator: ',' });
      expect(clash.status).to.equal(422);
      expect(clash.text).to.match(/id="groupSeparator-error">Thousands separator: must differ from the decimal separator/);
      expect(await f.delivery.profile.get()).to.deep.equal(before);
    });

    it('is for admins: readonly staff can neither see nor post it', async () => {
      await readonly.get('/settings/invoice-profile').expect(403);
      const before = await f.delivery.profile.get();
      const res = await postProfile(readonly, { ...PROFILE_FORM, companyName: 'Hijacked' });
      expect(res.status).to.equal(403);
      expect((await f.delivery.profile.get()).companyName).to.equal(before.companyName);
    });

    it('refuses a post without the CSRF token', async () => {
      const res = await admin.post('/settings/invoice-profile').field('companyName', 'Forged');
      expect(res.status).to.equal(403);
      expect((await f.delivery.profile.get()).companyName).to.not.equal('Forged');
    });

    it('starts from "Your ISP" on a fresh database', () => {
      expect(DEFAULT_PROFILE.companyName).to.equal('Your ISP');
    });
  });

  describe('the accountant\'s CSV export', () => {
    let numbers: string[];
    before(async () => {
      const [a] = await issue(f.plugin.ctx, [testSnapshot({ buyer: { name: '=HYPERLINK("http://evil.example","Click")', addressLines: [] } })], { issueDate: '2026-03-01' });
      const [b] = await issue(f.plugin.ctx, [testSnapshot({ accountId: 2, buyer: { name: 'Müller, "Der Bäcker"', addressLines: [] } })], { issueDate: '2026-03-05' });
      const [cn] = await issue(f.plugin.ctx, [testSnapshot({ type: 'credit_note', accountId: 2, buyer: { name: 'Müller, "Der Bäcker"', addressLines: [] }, corrects: { id: b!.id, number: b!.number! } })], { issueDate: '2026-03-06', creditedInvoiceId: b!.id });
      numbers = [a!.number!, b!.number!, cn!.number!];
    });

    it('lists one row per document with amounts in major units, the buyer as issued, quoted and guarded', async () => {
      const res = await readonly.get('/invoices/export.csv').expect(200);
      expect(res.headers['content-type']).to.equal('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).to.equal('attachment; filename="invoices_all_start_now.csv"');
      expect(res.text.startsWith('\ufeffnumber,type,')).to.equal(true);
      const rows = parseCsv(res.text.slice(1));
      expect(rows[0]).to.deep.equal(['number', 'type', 'issue_date', 'due_date', 'account_id', 'customer_name', 'currency', 'net', 'tax', 'total', 'status', 'credited_invoice']);
      const total = testSnapshot().document.totals;
      const major = (m: bigint) => `${m / 100n}.${String(m % 100n).padStart(2, '0')}`;
      expect(rows[1]).to.deep.equal([numbers[0], 'invoice', '2026-03-01', '2026-03-15', '1', `'=HYPERLINK("http://evil.example","Click")`, 'EUR', major(total.netMinor), major(total.taxMinor), major(total.totalMinor), 'issued', '']);
      expect(rows[2]![5]).to.equal('Müller, "Der Bäcker"');
      expect(res.text).to.include('"Müller, ""Der Bäcker"""');
      expect(rows[3]!.slice(0, 2)).to.deep.equal([numbers[2], 'credit_note']);
      expect(rows[3]![11]).to.equal(numbers[1]);
      expect(rows).to.have.length(4);
    });

    it('filters by issue date and type', async () => {
      const rows = parseCsv((await readonly.get('/invoices/export.csv?from=2026-03-02&to=2026-03-31&type=invoice').expect(200)).text.slice(1));
      expect(rows.slice(1).map((r) => r[0])).to.deep.equal([numbers[1]]);
    });

    it('lists every line with its tariff, period, quantity and amounts', async () => {
      const rows = parseCsv((await readonly.get('/invoices/lines.csv?to=2026-03-01').expect(200)).text.slice(1));
      expect(rows[0]).to.deep.equal(['number', 'position', 'kind', 'service_id', 'description', 'tariff_code', 'tariff_version', 'from', 'to', 'quantity', 'unit', 'unit_price', 'amount', 'tax']);
      const lines = testSnapshot().document.lines;
      expect(rows).to.have.length(1 + lines.length);
      const usage = rows.find((r) => r[2] === 'usage')!;
      expect(usage).to.deep.equal([numbers[0], String(lines.findIndex((l) => l.kind === 'usage') + 1), 'usage', '1', 'Usage above 100 GB included (per unit)', 'HOME-100', '1', usage[7], usage[8], '25', 'GB', '0.1', '2.50', '0.48']);
    });

    it('says which filter is wrong, with 422', async () => {
      const res = await readonly.get('/invoices/export.csv?from=2026-13-01&type=bill').expect(422);
      expect(res.text).to.include('from').and.include('type');
      await readonly.get('/invoices/export.csv?from=2026-03-10&to=2026-03-01').expect(422);
    });

    it('is for logged-in staff only', async () => {
      const res = await request(f.plugin.app).get('/invoices/export.csv').expect(303);
      expect(res.headers.location).to.match(/^\/login/);
    });
  });

  describe('PDF downloads', () => {
    let id: string;
    let token: string;
    before(async () => {
      id = (await issue(f.plugin.ctx, [testSnapshot()]))[0]!.id;
      token = (await f.plugin.ctx.services.auth.createApiToken({ name: 'reports', role: 'readonly' }, 'test')).token;
    });

    it('gives staff the PDF, rendered on demand, with its SHA-256 as ETag', async () => {
      const res = await readonly.get(`/invoices/${id}/pdf`).buffer(true).expect(200);
      expect(res.headers['content-type']).to.equal('application/pdf');
      const row = (await f.delivery.documents.status(id))!;
      expect(res.headers.etag).to.equal(`"${row.sha256}"`);
    });

    it('gives API tokens the same bytes at /api/v1/invoices/{id}/pdf, and a documented 404 for no such invoice', async () => {
      const page = await readonly.get(`/invoices/${id}/pdf`).buffer(true);
      const api = await request(f.plugin.app).get(`/api/v1/invoices/${id}/pdf`).set('Authorization', `Bearer ${token}`).buffer(true).expect(200);
      expect(api.headers['content-type']).to.equal('application/pdf');
      expect(Buffer.compare(api.body as Buffer, page.body as Buffer)).to.equal(0);
      expectValidResponse(await request(f.plugin.app).get('/api/v1/invoices/999999/pdf').set('Authorization', `Bearer ${token}`).expect(404));
      expectValidResponse(await request(f.plugin.app).get(`/api/v1/invoices/${id}/pdf`).expect(401));
    });
  });
});
