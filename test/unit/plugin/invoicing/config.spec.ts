import { expect } from 'chai';
import { pluginConfigSchema } from '../../../../plugin/config.js';
import { smtpSettings } from '../../../../plugin/invoicing/config.js';

describe('pdf and smtp settings in the plugin config', () => {
  it('renders with Debian\'s Chromium and a pool of 4 pages unless told otherwise, and leaves e-mail off without an SMTP host', () => {
    const c = pluginConfigSchema.parse({});
    expect(c.pdf).to.deep.include({ chromium: '/usr/bin/chromium', poolSize: 4 });
    expect(smtpSettings(c.smtp)).to.equal(null);
  });

  it('refuses an SMTP user without a password, naming the field', () => {
    const r = pluginConfigSchema.safeParse({ smtp: { host: 'smtp.isp.example', user: 'billing' } });
    expect(r.success).to.equal(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).to.include('smtp.pass');
  });

  it('passes the credentials to the mailer when both are given', () => {
    const c = pluginConfigSchema.parse({ smtp: { host: 'smtp.isp.example', port: 465, secure: true, user: 'billing', pass: 's3cret' } });
    expect(smtpSettings(c.smtp)).to.deep.include({ host: 'smtp.isp.example', port: 465, secure: true, auth: { user: 'billing', pass: 's3cret' } });
  });
});
