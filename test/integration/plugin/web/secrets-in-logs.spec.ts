import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { createLogger } from '../../../../plugin/common/logger.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { createStaff, csrfOf, loggedIn } from '../../../support/web.js';

forEachDatabase('secrets in the debug log', (dialect) => {
  let plugin: TestPlugin;
  let log = '';

  before(async () => {
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));
    plugin = await createTestPlugin(dialect, { logger: createLogger({ level: 'debug', format: 'json', stream }) });
  });
  after(async () => plugin?.close());

  it('keeps session ids, upload tokens, passwords and customer files out of the SQL it logs', async () => {
    const creds = await createStaff(plugin.ctx, 'billing');
    const browser = await loggedIn(plugin.app, creds);
    const _csrf = await csrfOf(browser, '/import/accounts');
    const file = Buffer.from('external_id,name\nLOG-1,Logged Customer\n');
    const preview = await browser.post('/import/accounts/preview').field('_csrf', _csrf).attach('file', file, 'log.csv').expect(200);
    const uploadToken = /name="token" value="([^"]+)"/.exec(preview.text)![1]!;
    const cookie = decodeURIComponent(String(preview.request.cookies));
    const sid = /octet\.sid=s:([^.;]+)/.exec(cookie)![1]!;
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(log).to.contain('"message":"sql"');
    expect(log).not.to.contain(sid);
    expect(log).not.to.contain(uploadToken);
    expect(log).not.to.contain(creds.password);
    expect(log).not.to.contain(file.toString('base64')); // customers' details, as stored
  });
});
