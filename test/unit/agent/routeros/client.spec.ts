import { expect } from 'chai';
import net from 'node:net';
import { RouterOsClient, type RouterOsConnectOptions } from '../../../../agent/routeros/client.js';
import {
  RouterOsConnectionError,
  RouterOsFatalError,
  RouterOsLoginError,
  RouterOsTimeoutError,
  RouterOsTlsError,
  RouterOsTrapError,
} from '../../../../agent/routeros/errors.js';
import { startSimulator, type Simulator } from '../../../../agent/simulator/index.js';
import { OperationalError } from '../../../../plugin/common/errors.js';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { makeSelfSigned } from './self-signed.js';

const USER = { name: 'api', password: 's3cret' };

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('RouterOS client against the simulator', () => {
  let sim: Simulator;
  let clients: RouterOsClient[];
  const clock = new ManualClock('2026-03-01T10:00:00Z');

  async function connect(extra: Partial<RouterOsConnectOptions> = {}): Promise<RouterOsClient> {
    const c = await RouterOsClient.connect({ host: '127.0.0.1', port: sim.port, username: USER.name, password: USER.password, ...extra });
    clients.push(c);
    return c;
  }

  beforeEach(async () => {
    sim = await startSimulator({ users: [USER], clock, sessions: 3 });
    clients = [];
  });
  afterEach(async () => {
    for (const c of clients) c.destroy();
    await sim.close();
  });

  it('logs in with name and password and reads the identity', async () => {
    const c = await connect();
    expect(await c.print('/system/identity')).to.deep.equal([{ name: 'MikroTik' }]);
  });

  it('refuses a bad password with a login error carrying the router text, and the router hangs up', async () => {
    const err = await rejection(connect({ password: 'wrong' }));
    expect(err).to.be.instanceOf(RouterOsLoginError);
    expect((err as RouterOsLoginError).routerMessage).to.equal('invalid user name or password (6)');
    expect((err as RouterOsLoginError).retryable).to.equal(false);
    expect(err).to.be.instanceOf(OperationalError);
  });

  it('runs tagged commands concurrently on one connection', async () => {
    const c = await connect();
    sim.faults.hang.add('/system/resource/print');
    const slow = c.command('/system/resource/print', {}, { timeoutMs: 60_000 });
    const [identity, active] = await Promise.all([c.print('/system/identity'), c.print('/ppp/active', { proplist: ['name'] })]);
    expect(identity).to.deep.equal([{ name: 'MikroTik' }]);
    expect(active).to.deep.equal([{ name: 'user0001' }, { name: 'user0002' }, { name: 'user0003' }]);
    const ac = new AbortController();
    sim.faults.hang.clear();
    const cancelled = c.command('/ppp/active/listen', {}, { signal: ac.signal });
    ac.abort();
    const err = await rejection(cancelled);
    expect(err).to.be.instanceOf(RouterOsTrapError);
    expect((err as RouterOsTrapError).category).to.equal(2);
    expect((err as RouterOsTrapError).routerMessage).to.equal('interrupted');
    c.destroy();
    expect(await rejection(slow)).to.be.instanceOf(RouterOsConnectionError);
  });

  it('rejects a command with a trap error that carries category and message', async () => {
    const c = await connect();
    const err = await rejection(c.command('/ppp/secret/add', { name: 'x', disabled: 'maybe' }));
    expect(err).to.be.instanceOf(RouterOsTrapError);
    expect((err as RouterOsTrapError).category).to.equal(1);
    expect((err as RouterOsTrapError).routerMessage).to.equal('input does not match any value of disabled');
    // The connection stays usable after a trap (its `!done` was consumed).
    expect((await c.print('/system/identity'))[0]?.name).to.equal('MikroTik');
  });

  it('reports a trap without category as category undefined (duplicate address-list entry)', async () => {
    const c = await connect();
    await c.command('/ip/firewall/address-list/add', { list: 'blocked', address: '10.0.0.9' });
    const err = (await rejection(c.command('/ip/firewall/address-list/add', { list: 'blocked', address: '10.0.0.9' }))) as RouterOsTrapError;
    expect(err.routerMessage).to.equal('failure: already have such entry');
    expect(err.category).to.equal(undefined);
  });

  it('keeps every trap when the router sends several (unknown menu level)', async () => {
    const c = await connect();
    const err = (await rejection(c.print('/system/routerboard'))) as RouterOsTrapError;
    expect(err.traps.map((t) => t.message)).to.deep.equal(['no such command or directory (routerboard)', 'no such command prefix']);
  });

  it('returns the id of an added item from the !done ret attribute', async () => {
    const c = await connect();
    const reply = await c.command('/ip/firewall/address-list/add', { list: 'blocked', address: '10.0.0.1', disabled: false });
    expect(reply.done.ret).to.match(/^\*[0-9A-F]+$/);
  });

  it('reports !empty from a 7.18+ router as an empty result', async () => {
    const c = await connect();
    const reply = await c.command('/ppp/active/print', {}, { query: ['name=nobody'] });
    expect(reply).to.deep.equal({ rows: [], done: {}, empty: true });
  });

  it('filters with .proplist and stack queries', async () => {
    const c = await connect();
    const rows = await c.print('/ppp/active', { proplist: ['name', 'service'], query: ['name=user0001', 'name=user0003', '#|'] });
    expect(rows).to.deep.equal([
      { name: 'user0001', service: 'pppoe' },
      { name: 'user0003', service: 'pppoe' },
    ]);
    expect(await c.print('/ppp/secret', { proplist: ['name'], query: ['-comment', 'name=user0002'] })).to.deep.equal([{ name: 'user0002' }]);
  });

  it('reports !fatal as a fatal error and marks the client closed', async () => {
    const c = await connect();
    const err = await rejection(c.write(['/quit']));
    expect(err).to.be.instanceOf(RouterOsFatalError);
    expect((err as RouterOsFatalError).reason).to.equal('session terminated on request');
    expect(c.closed).to.equal(true);
    expect(await rejection(c.print('/system/identity'))).to.be.instanceOf(RouterOsFatalError);
  });

  it('fails a command whose reply is cut off mid-way by the socket closing; it never hangs', async () => {
    sim.model.populate(500, { prefix: 'bulk' });
    const c = await connect();
    sim.faults.cutMidReply.add('/interface/print');
    const err = await rejection(c.print('/interface', { timeoutMs: 60_000 }));
    expect(err).to.be.instanceOf(RouterOsConnectionError);
    expect(err.message).to.match(/before the reply was complete/);
    expect(c.closed).to.equal(true);
  });

  it('times out a command that gets no reply and keeps the connection usable', async () => {
    const c = await connect();
    sim.faults.hang.add('/system/resource/print');
    const err = await rejection(c.command('/system/resource/print', {}, { timeoutMs: 200 }));
    expect(err).to.be.instanceOf(RouterOsTimeoutError);
    expect((err as RouterOsTimeoutError).phase).to.equal('command');
    expect((await c.print('/system/identity'))[0]?.name).to.equal('MikroTik');
  });

  it('times out connecting to something that accepts TCP but never answers the login', async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const err = await rejection(RouterOsClient.connect({ host: '127.0.0.1', port, username: 'a', password: 'b', connectTimeoutMs: 300 }));
      expect(err).to.be.instanceOf(RouterOsTimeoutError);
      expect((err as RouterOsTimeoutError).phase).to.equal('connect');
    } finally {
      silent.close();
    }
  });

  it('reports a refused connection as a connection error', async () => {
    const port = sim.port;
    await sim.setReachable(false);
    const err = await rejection(RouterOsClient.connect({ host: '127.0.0.1', port, username: 'a', password: 'b' }));
    expect(err).to.be.instanceOf(RouterOsConnectionError);
    expect(err.message).to.match(/ECONNREFUSED/);
  });

  it('carries words of every multi-byte length form (2, 3 and 4 byte prefixes) both ways', async () => {
    const c = await connect();
    const comments = ['a'.repeat(0x90), 'b'.repeat(0x4100), 'c'.repeat(0x200010)];
    for (const [i, comment] of comments.entries()) {
      await c.command('/ip/firewall/address-list/add', { list: 'long', address: `10.9.0.${i}`, comment });
    }
    const rows = await c.print('/ip/firewall/address-list', { proplist: ['comment'], query: ['list=long'] });
    expect(rows.map((r) => r.comment?.length)).to.deep.equal(comments.map((s) => s.length));
    expect(rows.map((r) => r.comment)).to.deep.equal(comments);
  });

  it('returns the bytes the router stored unchanged, whatever code page wrote them', async () => {
    const c = await connect();
    // cp1251 "Привет" and bytes that win1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D).
    const raw = Buffer.from([0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2, 0x20, 0x81, 0x8d, 0x8f, 0x90, 0x9d]);
    await c.command('/ppp/secret/add', { name: 'ivan', comment: raw.toString('latin1') });
    const [row] = await c.print('/ppp/secret', { proplist: ['comment'], query: ['name=ivan'] });
    expect(Buffer.from(row!.comment!, 'latin1').equals(raw)).to.equal(true);
  });

  it('rejects pending and later commands once closed', async () => {
    const c = await connect();
    await c.close();
    expect(await rejection(c.print('/system/identity'))).to.be.instanceOf(RouterOsConnectionError);
  });
});

describe('RouterOS client on a 6.49 router', () => {
  it('gets a plain !done (no !empty) for a print that matches nothing', async () => {
    const sim = await startSimulator({ version: '6.49.15', users: [USER] });
    const c = await RouterOsClient.connect({ host: '127.0.0.1', port: sim.port, username: USER.name, password: USER.password });
    try {
      expect(await c.command('/ppp/active/print')).to.deep.equal({ rows: [], done: {}, empty: false });
    } finally {
      c.destroy();
      await sim.close();
    }
  });
});

describe('RouterOS client over API-SSL', () => {
  const cert = makeSelfSigned();
  let sim: Simulator;
  beforeEach(async () => {
    sim = await startSimulator({ users: [USER], tls: { cert: cert.cert, key: cert.key } });
  });
  afterEach(() => sim.close());

  const base = () => ({ host: '127.0.0.1', port: sim.tlsPort!, username: USER.name, password: USER.password });

  it('accepts a self-signed certificate pinned by its SHA-256 fingerprint', async () => {
    const c = await RouterOsClient.connect({ ...base(), tls: { fingerprint: cert.fingerprint256 } });
    expect((await c.print('/system/identity'))[0]?.name).to.equal('MikroTik');
    c.destroy();
  });

  it('refuses a certificate whose fingerprint does not match the pin', async () => {
    const other = makeSelfSigned('other.test');
    const err = await rejection(RouterOsClient.connect({ ...base(), tls: { fingerprint: other.fingerprint256 } }));
    expect(err).to.be.instanceOf(RouterOsTlsError);
    expect((err as RouterOsTlsError).retryable).to.equal(false);
  });

  it('verifies the certificate against a configured CA', async () => {
    const c = await RouterOsClient.connect({ ...base(), tls: { ca: cert.cert } });
    expect((await c.print('/system/identity'))[0]?.name).to.equal('MikroTik');
    c.destroy();
  });

  it('refuses an unknown self-signed certificate by default', async () => {
    expect(await rejection(RouterOsClient.connect({ ...base(), tls: {} }))).to.be.instanceOf(RouterOsTlsError);
  });

  it('accepts any certificate when told to be insecure', async () => {
    const c = await RouterOsClient.connect({ ...base(), tls: { insecure: true } });
    expect((await c.print('/system/identity'))[0]?.name).to.equal('MikroTik');
    c.destroy();
  });
});
