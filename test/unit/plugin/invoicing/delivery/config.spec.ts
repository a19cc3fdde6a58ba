import { expect } from 'chai';
import { pluginConfigSchema } from '../../../../../plugin/config.js';

describe('delivery settings in the plugin config', () => {
  it('keeps PDFs in var/invoices, tries a render 5 times and an e-mail 8, the first retry after a minute', () => {
    const c = pluginConfigSchema.parse({});
    expect(c.pdf).to.deep.include({ storeDir: 'var/invoices', maxAttempts: 5, retryBaseSeconds: 60 });
    expect(c.smtp).to.deep.include({ maxAttempts: 8, retryBaseSeconds: 60 });
  });

  it('refuses zero attempts, naming the field', () => {
    const r = pluginConfigSchema.safeParse({ pdf: { maxAttempts: 0 } });
    expect(r.success).to.equal(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).to.include('pdf.maxAttempts');
  });
});
