import { expect } from 'chai';
import { ValidationError } from '../../../../plugin/common/errors.js';
import { nullLogger } from '../../../../plugin/common/logger.js';
import { DEFAULT_PROFILE, InvoiceProfileService, PROFILE_SETTING } from '../../../../plugin/invoicing/profile.js';

function memorySettings(initial: Record<string, string> = {}) {
  const map = new Map(Object.entries(initial));
  return { map, get: async (k: string) => map.get(k) ?? null, set: async (k: string, v: string) => void map.set(k, v) };
}

const FILLED = {
  ...DEFAULT_PROFILE,
  companyName: 'Nordnetz Breitband GmbH',
  addressLines: ['Hafenstraße 12', '', '20457 Hamburg'],
  taxId: 'DE123456789',
  email: 'billing@nordnetz.example',
  phone: '+49 40 123456',
  bankDetails: ['IBAN DE02 1203 0000 0000 2020 51', 'BIC BYLADEM1001'],
  footer: 'Amtsgericht Hamburg HRB 12345',
  locale: 'de-DE',
  decimalSeparator: ',',
  groupSeparator: '.',
  paymentTermsDays: '30',
};

describe('the invoice profile', () => {
  it('is "Your ISP", the default branding and 14 days until someone sets it', async () => {
    const profile = new InvoiceProfileService({ settings: memorySettings(), logger: nullLogger });
    const c = await profile.current();
    expect(c.seller).to.deep.equal({ name: 'Your ISP', addressLines: [], taxId: null, email: null });
    expect(c.paymentTermsDays).to.equal(14);
    expect(c.branding.numberFormat).to.deep.equal({ decimalSeparator: '.', groupSeparator: ',', currencyPosition: 'after' });
  });

  it('gives billing the seller, bank details, number format and terms to freeze into an invoice, the phone under the address', async () => {
    const settings = memorySettings();
    const profile = new InvoiceProfileService({ settings, logger: nullLogger });
    await profile.save(FILLED);
    const c = await profile.current();
    expect(c.seller).to.deep.equal({ name: 'Nordnetz Breitband GmbH', addressLines: ['Hafenstraße 12', '20457 Hamburg', 'Tel. +49 40 123456'], taxId: 'DE123456789', email: 'billing@nordnetz.example' });
    expect(c.branding).to.deep.include({ bankDetails: ['IBAN DE02 1203 0000 0000 2020 51', 'BIC BYLADEM1001'], footer: 'Amtsgericht Hamburg HRB 12345', locale: 'de-DE' });
    expect(c.branding.numberFormat).to.deep.equal({ decimalSeparator: ',', groupSeparator: '.', currencyPosition: 'after' });
    expect(c.paymentTermsDays).to.equal(30);
    expect(JSON.parse(settings.map.get(PROFILE_SETTING)!).companyName).to.equal('Nordnetz Breitband GmbH');
  });

  it('reads back a saved profile whose optional fields were left empty', async () => {
    const profile = new InvoiceProfileService({ settings: memorySettings(), logger: nullLogger });
    await profile.save({ ...FILLED, taxId: '', phone: '', email: '' });
    expect((await profile.current()).seller).to.deep.equal({ name: 'Nordnetz Breitband GmbH', addressLines: ['Hafenstraße 12', '20457 Hamburg'], taxId: null, email: null });
  });

  it('names every bad field and stores nothing', async () => {
    const settings = memorySettings();
    const profile = new InvoiceProfileService({ settings, logger: nullLogger });
    const err = await profile.save({ ...FILLED, companyName: ' ', primaryColour: 'red;}</style>', groupSeparator: ',', decimalSeparator: ',', paymentTermsDays: '-1', email: 'nope' }).then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.field).sort()).to.deep.equal(['companyName', 'email', 'groupSeparator', 'paymentTermsDays', 'primaryColour']);
    expect(settings.map.size).to.equal(0);
  });

  it('falls back to the defaults when the stored setting is broken, rather than failing the billing run', async () => {
    const profile = new InvoiceProfileService({ settings: memorySettings({ [PROFILE_SETTING]: '{not json' }), logger: nullLogger });
    expect((await profile.current()).seller.name).to.equal('Your ISP');
  });
});
