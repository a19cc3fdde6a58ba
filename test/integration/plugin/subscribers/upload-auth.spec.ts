import { request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import request from 'supertest';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { csrfFrom } from '../../../support/web.js';

forEachDatabase('import upload before login', (dialect) => {
  let plugin: TestPlugin;
  let server: Server;
  let port: number;

  before(async () => {
    plugin = await createTestPlugin(dialect);
    server = await new Promise<Server>((resolve) => {
      const s = plugin.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await plugin?.close();
  });

  it('sends a visitor who is not logged in to the login page without reading the file they send', async function () {
    this.timeout(30_000);
    // An anonymous session with a valid CSRF token, as anyone gets from the login page.
    const visitor = request.agent(plugin.app);
    const login = await visitor.get('/login').expect(200);
    const cookie = login.headers['set-cookie']![0]!.split(';')[0]!;
    const boundary = 'octetboundary';
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrfFrom(login.text)}\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n`;
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/import/accounts/preview',
      headers: { Cookie: cookie, 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': String(8 * 1024 * 1024) },
    });
    req.on('error', () => undefined); // the server may cut the unfinished upload off once it has answered
    const answered = new Promise<IncomingMessage>((resolve) => req.once('response', resolve));
    // Half of the declared body, never finished: a server that reads the file before checking the
    // login never answers; one that checks first answers at once.
    req.write(head + 'x'.repeat(64 * 1024));
    const res = await answered;
    res.resume();
    req.destroy();
    expect(res.statusCode).to.equal(303);
    expect(res.headers.location).to.equal('/login');
  });
});
