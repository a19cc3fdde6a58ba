import { expect } from 'chai';
import type { ManualClock } from '../../../../plugin/common/clock.js';
import { forEachDatabase } from '../../../support/databases.js';
import { draftDefinition } from '../../../../plugin/tariffs/definition.js';
import { TariffsRepository } from '../../../../plugin/tariffs/tariffs.repository.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { createStaff, csrfFrom, csrfOf, loggedIn, type Browser } from '../../../support/web.js';

const decode = (html: string) => html.replace(/&#34;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>');

/** What a billing person types into the new-tariff form for a graduated fibre tariff. */
const graduatedForm = {
  code: 'FIBRE-200', name: 'Fibre 200', currency: 'EUR', recurringFee: '49.90', direction: 'both', unit: 'GB', includedUnits: '500',
  chargeModel: 'graduated', tiers: '0, 100, 0.04\n100, , 0.02, 1.00', topUps: 'EXTRA-100, 100, 3.00', timeBands: 'night, 00:00, 07:00, 0',
};

forEachDatabase('tariff pages', (dialect) => {
  let plugin: TestPlugin;
  let billing: Browser;
  let readonly: Browser;

  before(async () => {
    plugin = await createTestPlugin(dialect, { config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin' } } });
    billing = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'billing'));
    readonly = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'readonly'));
  });
  after(async () => plugin?.close());

  it('a billing person creates a graduated tariff through the form and sees it in the list', async () => {
    (plugin.clock as ManualClock).set('2026-03-01T10:00:00Z');
    const _csrf = await csrfOf(billing, '/tariffs/new');
    const res = await billing.post('/tariffs').type('form').send({ _csrf, ...graduatedForm }).expect(303);
    expect(res.headers.location).to.equal('/tariffs/FIBRE-200');
    const list = await billing.get('/tariffs').expect(200);
    expect(list.text).to.contain('<a href="/tariffs" class="active">Tariffs</a>');
    const row = /<tr>\s*<td class="title"><a href="\/tariffs\/FIBRE-200">[\s\S]*?<\/tr>/.exec(list.text)![0].replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
    expect(row).to.equal('FIBRE-200 Fibre 200 EUR 49.90 EUR graduated active 1');
    const page = decode((await billing.get('/tariffs/FIBRE-200').expect(200)).text);
    expect(page).to.contain('"unitPrice": "0.04"');
    expect(page).to.contain('2026-03-01 10:00 UTC');
  });

  it('a bad tier shows the form again with the values typed and the error naming its line', async () => {
    const _csrf = await csrfOf(billing, '/tariffs/new');
    const res = await billing
      .post('/tariffs')
      .type('form')
      .send({ _csrf, ...graduatedForm, code: 'FIBRE-BAD', tiers: '0, 100, 0.04\n100, 50, 0.02' })
      .expect(422);
    const html = decode(res.text);
    expect(html).to.contain('value="FIBRE-BAD"');
    expect(html).to.contain('0, 100, 0.04\n100, 50, 0.02');
    expect(html).to.match(/id="tiers-error">Tiers: line 2, to: [^<]+/);
    expect((await plugin.services.tariffs.catalogue.list()).map((l) => l.entry.code)).not.to.include('FIBRE-BAD');
  });

  it('editing makes version 2, effective from now, with every version on the page', async () => {
    (plugin.clock as ManualClock).set('2026-03-15T08:30:00Z');
    const show = await billing.get('/tariffs/FIBRE-200').expect(200);
    expect(show.text).to.contain('Save as version 2');
    await billing.post('/tariffs/FIBRE-200').type('form').send({ _csrf: csrfFrom(show.text), ...graduatedForm, code: undefined, currency: undefined, recurringFee: '54.90' }).expect(303);
    const page = decode((await billing.get('/tariffs/FIBRE-200').expect(200)).text);
    const versions = /<table id="versions"[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(page)![1]!;
    const rows = [...versions.matchAll(/<td class="num">v(\d+)<\/td>\s*<td data-label="Effective from">([^<]+)<\/td>\s*<td data-label="Fee">([^<]+)</g)].map((m) => [m[1], m[2], m[3]]);
    expect(rows).to.deep.equal([
      ['2', '2026-03-15 08:30 UTC', '54.90 EUR'],
      ['1', '2026-03-01 10:00 UTC', '49.90 EUR'],
    ]);
  });

  it('archiving keeps the tariff and its versions, marked archived', async () => {
    const _csrf = await csrfOf(billing, '/tariffs/FIBRE-200');
    await billing.post('/tariffs/FIBRE-200/archive').type('form').send({ _csrf }).expect(303);
    const page = await billing.get('/tariffs/FIBRE-200').expect(200);
    expect(page.text).to.contain('(archived)');
    expect(page.text).not.to.contain('Archive this tariff');
    expect(await plugin.services.tariffs.port.assignable('FIBRE-200')).to.contain('archived');
  });

  it('read-only staff see the tariffs but no form, and every post of theirs is refused with 403', async () => {
    const list = await readonly.get('/tariffs').expect(200);
    expect(list.text).to.contain('FIBRE-200');
    expect(list.text).not.to.contain('New tariff');
    const show = await readonly.get('/tariffs/FIBRE-200').expect(200);
    expect(show.text).not.to.contain('Save as version');
    await readonly.get('/tariffs/new').expect(403);
    const _csrf = csrfFrom(show.text);
    await readonly.post('/tariffs').type('form').send({ _csrf, ...graduatedForm, code: 'RO-1' }).expect(403);
    await readonly.post('/tariffs/FIBRE-200').type('form').send({ _csrf, ...graduatedForm, recurringFee: '1' }).expect(403);
    await readonly.post('/tariffs/FIBRE-200/archive').type('form').send({ _csrf }).expect(403);
    expect((await plugin.services.tariffs.catalogue.get('FIBRE-200')).entry.currentVersion).to.equal(2);
  });

  it('a draft taken over from a free-text service tariff is activated by saving a definition on its page', async () => {
    // As migration 0009 leaves it: code kept as the services spelled it, no price.
    const repo = new TariffsRepository(plugin.ctx.db);
    const row = await repo.insert({ code: 'Fibre 50 (old)', name: 'Fibre 50 (old)', currency: 'EUR', status: 'draft', currentVersion: 1 }, new Date('2026-01-01T00:00:00Z'));
    await repo.insertVersion({ tariffId: row.id, version: 1, definition: JSON.stringify(draftDefinition(row.code, 'EUR')), effectiveFromMs: Date.parse('2026-01-01T00:00:00Z'), createdBy: 'migration:0009', createdAt: new Date('2026-01-01T00:00:00Z') });
    const list = await billing.get('/tariffs').expect(200);
    expect(list.text).to.contain('href="/tariffs/Fibre%2050%20(old)"');
    expect(list.text).to.contain('no price yet');
    const show = await billing.get('/tariffs/Fibre%2050%20(old)').expect(200);
    expect(show.text).to.contain('Draft: not billable');
    expect(show.text).to.contain('Save and activate as version 2');
    await billing.post('/tariffs/Fibre%2050%20(old)').type('form').send({ _csrf: csrfFrom(show.text), name: 'Fibre 50', recurringFee: '19.90', direction: 'download', unit: 'GB', chargeModel: 'none' }).expect(303);
    const after = (await plugin.services.tariffs.catalogue.get('Fibre 50 (old)')).entry;
    expect(after).to.deep.include({ status: 'active', currentVersion: 2, name: 'Fibre 50' });
  });

  it('refuses a form post without the CSRF token', async () => {
    await billing.post('/tariffs').type('form').send({ ...graduatedForm, code: 'NO-TOKEN' }).expect(403);
  });

  it('"try a tariff" prefills a scenario from a catalogue tariff and shows the invoices as tables, saving nothing', async () => {
    await plugin.services.tariffs.catalogue.create({ code: 'TRY-10', name: 'Try 10', currency: 'EUR', recurringFee: '10.00' }, 'test');
    const before = await plugin.ctx.db.sequelize.query('SELECT COUNT(*) AS n FROM audit_log');
    const page = await readonly.get('/tariffs/try?tariff=TRY-10').expect(200);
    const text = decode(/<textarea id="scenario"[^>]*>([\s\S]*?)<\/textarea>/.exec(page.text)![1]!);
    expect(text).to.contain('code: TRY-10');
    const rated = await readonly.post('/tariffs/try').type('form').send({ _csrf: csrfFrom(page.text), scenario: text }).expect(200);
    const html = decode(rated.text);
    expect(html).to.contain('Invoice issued 2026-03-01T00:00:00+01:00');
    expect(html).to.match(/net 10\.00<\/td>\s*<td class="num">tax 2\.00<\/td>\s*<td class="num total">total 12\.00/);
    const bad = await readonly.post('/tariffs/try').type('form').send({ _csrf: csrfFrom(page.text), scenario: text.replace(/recurringFee: .+/, 'recurringFee: ten') }).expect(422);
    expect(decode(bad.text)).to.contain('tariffs.0.recurringFee');
    expect(await plugin.ctx.db.sequelize.query('SELECT COUNT(*) AS n FROM audit_log')).to.deep.equal(before);
  });

  it('extra charges of an account: added through the form, listed, removed; bad input named beside its field', async () => {
    const subs = plugin.services.subscribers.subscribers;
    const account = await subs.createAccount({ name: 'Page Customer' }, 'test');
    const page = await billing.get(`/tariffs/charges?account=${account.id}`).expect(200);
    const _csrf = csrfFrom(page.text);
    const bad = await billing.post(`/tariffs/charges?account=${account.id}`).type('form').send({ _csrf, code: 'STATIC-IP', description: 'Static IP', price: '5,00', recurring: 'true' }).expect(422);
    expect(bad.text).to.match(/id="price-error">Price must be a decimal number/);
    expect(bad.text).to.contain('value="5,00"');
    await billing.post(`/tariffs/charges?account=${account.id}`).type('form').send({ _csrf, code: 'STATIC-IP', description: 'Static IP', price: '5.00', recurring: 'true', fromDate: '2026-03-01' }).expect(303);
    const listed = await billing.get(`/tariffs/charges?account=${account.id}`).expect(200);
    expect(listed.text).to.contain('Static IP');
    const id = /action="\/tariffs\/charges\/(\d+)\/remove"/.exec(listed.text)![1];
    await readonly.post(`/tariffs/charges/${id}/remove`).type('form').send({ _csrf: csrfFrom((await readonly.get(`/tariffs/charges?account=${account.id}`)).text) }).expect(403);
    await billing.post(`/tariffs/charges/${id}/remove`).type('form').send({ _csrf }).expect(303);
    expect(await plugin.services.tariffs.port.chargesFor([account.id])).to.deep.equal([]);
  });

  it('top-ups of a service: a code the tariff lacks is refused with the codes it offers', async () => {
    const subs = plugin.services.subscribers.subscribers;
    await plugin.services.tariffs.catalogue.create({ code: 'PACKS', name: 'With packs', currency: 'EUR', recurringFee: '20', usage: { direction: 'download', unit: 'GB', topUps: [{ code: 'GB-50', units: '50', price: '2.00' }] } }, 'test');
    const account = await subs.createAccount({ name: 'Top-up Customer' }, 'test');
    const service = await subs.createService(account.id, { login: 'topup-page-1', tariff: 'PACKS' }, 'test');
    const page = await billing.get(`/tariffs/topups?service=${service.id}`).expect(200);
    const res = await billing.post(`/tariffs/topups?service=${service.id}`).type('form').send({ _csrf: csrfFrom(page.text), code: 'GB-500' }).expect(422);
    expect(res.text).to.contain('tariff PACKS has no top-up GB-500 (it offers GB-50)');
    await billing.post(`/tariffs/topups?service=${service.id}`).type('form').send({ _csrf: csrfFrom(page.text), code: 'GB-50' }).expect(303);
    expect((await billing.get(`/tariffs/topups?service=${service.id}`)).text).to.contain('<code>GB-50</code>');
  });
});
