import { expect } from 'chai';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { RouterOsClient } from '../../../../agent/routeros/client.js';
import { encodeSentence, SentenceDecoder } from '../../../../agent/routeros/codec.js';
import { RouterOsTrapError } from '../../../../agent/routeros/errors.js';
import { startSimulator, type Simulator } from '../../../../agent/simulator/index.js';
import { ManualClock } from '../../../../plugin/common/clock.js';

/** A bare socket speaking sentences, to see exactly what the simulator puts on the wire. */
class RawPeer {
  private readonly queue: string[][] = [];
  private waiters: Array<() => void> = [];
  closed = false;
  private constructor(private readonly socket: net.Socket) {
    const d = new SentenceDecoder((w) => {
      this.queue.push(w);
      for (const f of this.waiters.splice(0)) f();
    });
    socket.on('data', (c: Buffer) => d.push(c));
    socket.on('close', () => {
      this.closed = true;
      for (const f of this.waiters.splice(0)) f();
    });
  }
  static open(port: number): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(new RawPeer(s)));
      s.once('error', reject);
    });
  }
  send(...words: string[]): void {
    this.socket.write(encodeSentence(words));
  }
  /** Reads sentences until one starting with `!done` (or `!fatal`), inclusive. */
  async reply(): Promise<string[][]> {
    const out: string[][] = [];
    for (;;) {
      const s = await this.next();
      if (!s) return out;
      out.push(s);
      if (s[0] === '!done' || s[0] === '!fatal') return out;
    }
  }
  async next(): Promise<string[] | undefined> {
    while (this.queue.length === 0 && !this.closed) await new Promise<void>((r) => this.waiters.push(r));
    return this.queue.shift();
  }
  async untilClosed(): Promise<void> {
    while (!this.closed) await new Promise<void>((r) => this.waiters.push(r));
  }
  destroy(): void {
    this.socket.destroy();
  }
}

describe('RouterOS simulator on the wire', () => {
  let sim: Simulator;
  let peers: RawPeer[];
  const clock = new ManualClock('2026-03-01T10:00:00Z');

  beforeEach(async () => {
    sim = await startSimulator({ clock, users: [{ name: 'admin', password: 'pw' }], sessions: 2 });
    peers = [];
  });
  afterEach(async () => {
    for (const p of peers) p.destroy();
    await sim.close();
  });

  async function loggedIn(): Promise<RawPeer> {
    const p = await RawPeer.open(sim.port);
    peers.push(p);
    p.send('/login', '=name=admin', '=password=pw');
    expect(await p.reply()).to.deep.equal([['!done']]);
    return p;
  }

  it('answers a command sent before login with !fatal "not logged in" and closes', async () => {
    const p = await RawPeer.open(sim.port);
    peers.push(p);
    p.send('/ppp/active/print');
    expect(await p.reply()).to.deep.equal([['!fatal', 'not logged in']]);
    await p.untilClosed();
  });

  it('answers a bad password with !trap then !done, no category, then closes the connection', async () => {
    const p = await RawPeer.open(sim.port);
    peers.push(p);
    p.send('/login', '=name=admin', '=password=nope');
    expect(await p.reply()).to.deep.equal([['!trap', '=message=invalid user name or password (6)'], ['!done']]);
    await p.untilClosed();
  });

  it('echoes .tag on every reply sentence, and adds none to untagged sentences', async () => {
    const p = await loggedIn();
    p.send('/ppp/active/print', '=.proplist=name', '.tag=42');
    expect(await p.reply()).to.deep.equal([
      ['!re', '=name=user0001', '.tag=42'],
      ['!re', '=name=user0002', '.tag=42'],
      ['!done', '.tag=42'],
    ]);
    p.send('/system/identity/print');
    expect(await p.reply()).to.deep.equal([['!re', '=name=MikroTik'], ['!done']]);
  });

  it('sends !empty then !done for an empty print on 7.18+, tagged', async () => {
    const p = await loggedIn();
    p.send('/ip/hotspot/active/print', '.tag=a');
    expect(await p.reply()).to.deep.equal([['!empty', '.tag=a'], ['!done', '.tag=a']]);
  });

  it('cancels a running command: trap interrupted (category 2), the cancel done, then the command done', async () => {
    const p = await loggedIn();
    p.send('/interface/listen', '.tag=L');
    p.send('/cancel', '=tag=L', '.tag=C');
    const got = [await p.next(), await p.next(), await p.next()];
    expect(got).to.deep.equal([
      ['!trap', '=category=2', '=message=interrupted', '.tag=L'],
      ['!done', '.tag=C'],
      ['!done', '.tag=L'],
    ]);
  });

  it('logs in with the pre-6.43 challenge on a 6.49 router', async () => {
    const old = await startSimulator({ version: '6.49.15', users: [{ name: 'admin', password: 'pw' }] });
    const p = await RawPeer.open(old.port);
    try {
      p.send('/login');
      const [[done, ret]] = (await p.reply()) as [[string, string]];
      expect(done).to.equal('!done');
      const challenge = Buffer.from(ret.slice('=ret='.length), 'hex');
      const hash = createHash('md5').update(Buffer.concat([Buffer.from([0]), Buffer.from('pw'), challenge])).digest('hex');
      p.send('/login', '=name=admin', `=response=00${hash}`);
      expect(await p.reply()).to.deep.equal([['!done']]);
    } finally {
      p.destroy();
      await old.close();
    }
  });

  it('answers an unknown verb in a known menu with "no such command"', async () => {
    const p = await loggedIn();
    p.send('/ppp/active/frobnicate');
    expect(await p.reply()).to.deep.equal([['!trap', '=category=0', '=message=no such command'], ['!done']]);
  });

  it('answers an unknown argument with "unknown parameter"', async () => {
    const p = await loggedIn();
    p.send('/ip/firewall/address-list/add', '=list=x', '=address=1.2.3.4', '=colour=red');
    expect(await p.reply()).to.deep.equal([['!trap', '=message=unknown parameter'], ['!done']]);
  });

  it('answers !fatal "session terminated on request" to /quit', async () => {
    const p = await loggedIn();
    p.send('/quit');
    expect(await p.reply()).to.deep.equal([['!fatal', 'session terminated on request']]);
    await p.untilClosed();
  });
});

describe('RouterOS simulator menus', () => {
  let sim: Simulator;
  let c: RouterOsClient;
  const clock = new ManualClock('2026-03-01T10:00:00Z');

  beforeEach(async () => {
    sim = await startSimulator({ clock, users: [{ name: 'admin', password: '' }], rates: { downloadBps: 1000, uploadBps: 100 } });
    c = await RouterOsClient.connect({ host: '127.0.0.1', port: sim.port, username: 'admin', password: '' });
  });
  afterEach(async () => {
    c.destroy();
    await sim.close();
  });

  it('manages PPP secrets with add, set, disable, enable and remove', async () => {
    // A secret names one of the router's /ppp/profile entries, as on RouterOS.
    sim.model.addPppProfile('10M', { rateLimit: '10M/10M' });
    sim.model.addPppProfile('20M', { rateLimit: '20M/20M' });
    const { done } = await c.command('/ppp/secret/add', { name: 'ann', password: 'x', profile: '10M', comment: 'flat 12' });
    await c.command('/ppp/secret/set', { '.id': done.ret, profile: '20M' });
    await c.command('/ppp/secret/disable', { '.id': 'ann' });
    let [row] = await c.print('/ppp/secret', { proplist: ['name', 'profile', 'disabled', 'comment'] });
    expect(row).to.deep.equal({ name: 'ann', profile: '20M', disabled: 'true', comment: 'flat 12' });
    await c.command('/ppp/secret/enable', { '.id': done.ret });
    [row] = await c.print('/ppp/secret', { proplist: ['disabled'] });
    expect(row).to.deep.equal({ disabled: 'false' });
    await c.command('/ppp/secret/remove', { '.id': done.ret });
    expect(await c.print('/ppp/secret')).to.deep.equal([]);
  });

  it('lists /ppp/profile with the built-in default, refuses a secret naming a profile it does not have, and gives a new login its secret\'s profile', async () => {
    await c.command('/ppp/profile/add', { name: 'fair-use', 'rate-limit': '1M/2M' });
    const rows = await c.print('/ppp/profile', { proplist: ['.id', 'name', 'rate-limit', 'default'] });
    expect(rows).to.deep.equal([
      { '.id': '*0', name: 'default', default: 'true' },
      { '.id': '*FFFFFFFE', name: 'default-encryption', default: 'true' },
      { '.id': '*1', name: 'fair-use', 'rate-limit': '1M/2M', default: 'false' },
    ]);
    const { done } = await c.command('/ppp/secret/add', { name: 'ann', password: 'x' });
    let err: unknown;
    await c.command('/ppp/secret/set', { '.id': done.ret, profile: 'nope' }).catch((e: unknown) => (err = e));
    expect((err as { routerMessage: string }).routerMessage).to.equal('input does not match any value of profile');
    await c.command('/ppp/secret/set', { '.id': done.ret, profile: 'fair-use' });
    expect(sim.model.connect('ann').profile).to.equal('fair-use');
    err = undefined;
    await c.command('/ppp/profile/remove', { '.id': '*0' }).catch((e: unknown) => (err = e));
    expect(err).to.have.property('routerMessage').that.matches(/cannot remove default profile/);
  });

  it('shows a connected subscriber in /ppp/active, with a dynamic <pppoe-LOGIN> interface counting tx as download', async () => {
    sim.model.addSecret('ann');
    sim.model.connect('ann', { rates: { downloadBps: 1000, uploadBps: 100 } });
    clock.advance(90_000);
    const [active] = await c.print('/ppp/active', { proplist: ['name', 'service', 'uptime'] });
    expect(active).to.deep.equal({ name: 'ann', service: 'pppoe', uptime: '1m30s' });
    const [iface] = await c.print('/interface', { proplist: ['name', 'type', 'rx-byte', 'tx-byte', 'running', 'dynamic'], query: ['type=pppoe-in'] });
    expect(iface).to.deep.equal({ name: '<pppoe-ann>', type: 'pppoe-in', 'rx-byte': '9000', 'tx-byte': '90000', running: 'true', dynamic: 'true' });
  });

  it('shows a dynamic simple queue per PPP session with bytes as upload/download', async () => {
    sim.model.addSecret('ann');
    sim.model.connect('ann');
    clock.advance(10_000);
    const rows = await c.print('/queue/simple', { proplist: ['name', 'target', 'bytes', 'dynamic'] });
    expect(rows).to.deep.equal([{ name: '<pppoe-ann>', target: '<pppoe-ann>', bytes: '1000/10000', dynamic: 'true' }]);
  });

  it('disconnects a subscriber on /ppp/active/remove; the interface goes with the session', async () => {
    sim.model.addSecret('ann');
    sim.model.connect('ann');
    const [active] = await c.print('/ppp/active', { proplist: ['.id'] });
    await c.command('/ppp/active/remove', { '.id': active!['.id'] });
    expect(await c.print('/ppp/active')).to.deep.equal([]);
    expect(await c.print('/interface', { query: ['type=pppoe-in'] })).to.deep.equal([]);
  });

  it('refuses a set on an unknown id with "no such item"', async () => {
    const err = (await c.command('/ppp/secret/set', { '.id': '*99', profile: 'x' }).catch((e: unknown) => e)) as RouterOsTrapError;
    expect(err).to.be.instanceOf(RouterOsTrapError);
    expect(err.routerMessage).to.equal('no such item');
  });

  it('lists hotspot sessions with bytes-out as download and bytes-in as upload', async () => {
    sim.model.addHotspotUser('guest');
    sim.model.connect('guest', { kind: 'hotspot', rates: { downloadBps: 500, uploadBps: 50 } });
    clock.advance(4_000);
    const [row] = await c.print('/ip/hotspot/active', { proplist: ['user', 'bytes-in', 'bytes-out', 'uptime'] });
    expect(row).to.deep.equal({ user: 'guest', 'bytes-in': '200', 'bytes-out': '2000', uptime: '4s' });
  });

  it('manages hotspot users and shows them with profile and disabled flag', async () => {
    await c.command('/ip/hotspot/user/add', { name: 'guest', password: 'g', profile: 'day-pass' });
    await c.command('/ip/hotspot/user/disable', { '.id': 'guest' });
    expect(await c.print('/ip/hotspot/user', { proplist: ['name', 'profile', 'disabled'] })).to.deep.equal([
      { name: 'guest', profile: 'day-pass', disabled: 'true' },
    ]);
  });

  it('adds, queries and removes address-list entries; a timeout makes one dynamic', async () => {
    await c.command('/ip/firewall/address-list/add', { list: 'suspended', address: '10.0.0.1' });
    await c.command('/ip/firewall/address-list/add', { list: 'suspended', address: '10.0.0.2', timeout: '1h' });
    const rows = await c.print('/ip/firewall/address-list', { proplist: ['.id', 'address', 'dynamic', 'timeout'], query: ['list=suspended'] });
    expect(rows.map(({ address, dynamic, timeout }) => ({ address, dynamic, timeout }))).to.deep.equal([
      { address: '10.0.0.1', dynamic: 'false', timeout: undefined },
      { address: '10.0.0.2', dynamic: 'true', timeout: '1h' },
    ]);
    await c.command('/ip/firewall/address-list/remove', { '.id': rows.map((r) => r['.id']).join(',') });
    expect(await c.print('/ip/firewall/address-list')).to.deep.equal([]);
  });

  it('reports version, uptime and board name in /system/resource', async () => {
    clock.advance(3_723_000);
    const [row] = await c.print('/system/resource', { proplist: ['version', 'uptime', 'board-name'] });
    expect(row).to.deep.equal({ version: '7.18.2 (stable)', uptime: '1h2m3s', 'board-name': 'CCR2004-16G-2S+' });
  });

  it('counts rows with count-only', async () => {
    sim.model.populate(5);
    const { done } = await c.command('/ppp/active/print', { 'count-only': '' });
    expect(done.ret).to.equal('5');
  });

  it('serves 20,000 sessions in one print', async () => {
    sim.model.populate(20_000);
    const rows = await c.print('/ppp/active', { proplist: ['name'], timeoutMs: 60_000 });
    expect(rows.length).to.equal(20_000);
    expect(rows[19_999]).to.deep.equal({ name: 'user20000' });
  });
});
