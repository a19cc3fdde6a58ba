import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { Registry } from 'prom-client';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { nullLogger } from '../../../../plugin/common/logger.js';
import { RadiusAccountingServer, type RadiusServerOptions } from '../../../../agent/radius/server.js';
import { SpoolFullError } from '../../../../agent/spool/spool.js';
import { acct, codec, MemorySessions, MemorySink, sessionAttrs } from './fixtures.js';

const SECRET = 'nas-secret';
const NAS = { address: '192.0.2.10', port: 40000 };
const c = codec();

function setup(over: Partial<RadiusServerOptions> = {}) {
  const sink = new MemorySink();
  const sessions = new MemorySessions();
  const registry = new Registry();
  const replies: Buffer[] = [];
  const server = new RadiusAccountingServer({
    host: '127.0.0.1',
    port: 0,
    clients: [{ name: 'bras1', address: NAS.address, secret: SECRET }],
    sink,
    sessions,
    codec: c,
    clock: new ManualClock('2026-03-01T10:00:00Z'),
    logger: nullLogger,
    registry,
    ...over,
  });
  const send = (packet: Buffer, from = NAS) => server.handle(packet, from, (r) => replies.push(r));
  const metric = async (name: string, label?: string) => {
    const m = (await registry.getSingleMetric(name)?.get())?.values ?? [];
    return m.filter((v) => !label || Object.values(v.labels).includes(label)).reduce((n, v) => n + v.value, 0);
  };
  return { server, sink, sessions, replies, send, metric };
}

describe('RADIUS accounting server', () => {
  it('records an Interim-Update with 64-bit totals and answers with a valid Accounting-Response', async () => {
    const t = setup();
    const req = acct(c, SECRET, sessionAttrs('Interim-Update', { outOctets: 5, outGiga: 2, inOctets: 7, inGiga: 1 }));
    expect(await t.send(req)).to.equal('recorded');
    expect(t.sink.records).to.have.length(1);
    const r = t.sink.records[0]!;
    expect(r).to.include({ source: 'radius', sourceName: 'bras1', login: 'alice', sessionId: '81a00001', ended: false });
    expect(r.downloadOctets).to.equal(String(2n * 2n ** 32n + 5n));
    expect(r.uploadOctets).to.equal(String(2n ** 32n + 7n));
    expect(t.replies).to.have.length(1);
    const reply = t.replies[0]!;
    expect(reply[0]).to.equal(5);
    expect(reply[1]).to.equal(req[1]);
    // RFC 2866 §3: MD5(Code + Identifier + Length + Request Authenticator + attributes + secret)
    const expected = createHash('md5')
      .update(Buffer.concat([reply.subarray(0, 4), req.subarray(4, 20), reply.subarray(20), Buffer.from(SECRET)]))
      .digest();
    expect(reply.subarray(4, 20).equals(expected)).to.equal(true);
  });

  it('maps Acct-Input-Octets to download for a NAS configured as swapped', async () => {
    const t = setup({ clients: [{ name: 'bras1', address: NAS.address, secret: SECRET, direction: 'swapped' }] });
    await t.send(acct(c, SECRET, sessionAttrs('Interim-Update', { outOctets: 100, inOctets: 900 })));
    expect(t.sink.records[0]).to.include({ downloadOctets: '900', uploadOctets: '100' });
  });

  it('drops a packet from an unknown source and records nothing', async () => {
    const t = setup();
    expect(await t.send(acct(c, SECRET, sessionAttrs('Start')), { address: '192.0.2.99', port: 1 })).to.equal('dropped');
    expect(t.sink.records).to.be.empty;
    expect(t.replies).to.be.empty;
    expect(await t.metric('octet_agent_radius_dropped_total', 'unknown-client')).to.equal(1);
  });

  it('drops a packet with a wrong authenticator and records nothing', async () => {
    const t = setup();
    expect(await t.send(acct(c, 'other-secret', sessionAttrs('Start')))).to.equal('dropped');
    expect(t.sink.records).to.be.empty;
    expect(t.replies).to.be.empty;
    expect(await t.metric('octet_agent_radius_dropped_total', 'bad-authenticator')).to.equal(1);
  });

  it('answers a retransmission again but records it once', async () => {
    const t = setup();
    const req = acct(c, SECRET, sessionAttrs('Stop', { outOctets: 10 }));
    await t.send(req);
    expect(await t.send(Buffer.from(req))).to.equal('retransmit');
    expect(t.sink.records).to.have.length(1);
    expect(t.replies).to.have.length(2);
    expect(t.replies[1]!.equals(t.replies[0]!)).to.equal(true);
  });

  it('counts retransmissions, identical or with a new Identifier, as retransmissions and not as packets', async () => {
    const t = setup();
    const attrs = sessionAttrs('Stop', { outOctets: 10, extra: [['Event-Timestamp', new Date('2026-03-01T09:59:00Z')]] });
    const req = acct(c, SECRET, attrs, 1);
    await t.send(req);
    expect(await t.send(Buffer.from(req))).to.equal('retransmit');
    expect(await t.send(acct(c, SECRET, attrs, 2))).to.equal('retransmit');
    expect(await t.metric('octet_agent_radius_packets_total')).to.equal(1);
    expect(await t.metric('octet_agent_radius_retransmits_total')).to.equal(2);
    expect(t.sink.records).to.have.length(1);
  });

  it('recognises an identical retransmission of a request without Event-Timestamp', async () => {
    const t = setup();
    const req = acct(c, SECRET, sessionAttrs('Interim-Update', { outOctets: 10 }));
    await t.send(req);
    expect(await t.send(Buffer.from(req))).to.equal('retransmit');
    expect(t.sink.records).to.have.length(1);
  });

  it('does not answer when the spool refuses the record, and records it when the NAS retries', async () => {
    const t = setup();
    const req = acct(c, SECRET, sessionAttrs('Interim-Update', { outOctets: 10 }));
    t.sink.fail = new SpoolFullError('full');
    expect(await t.send(req)).to.equal('dropped');
    expect(t.replies).to.be.empty;
    expect(await t.metric('octet_agent_radius_dropped_total', 'spool-full')).to.equal(1);
    t.sink.fail = undefined;
    expect(await t.send(req)).to.equal('recorded');
    expect(t.sink.records).to.have.length(1);
    expect(t.replies).to.have.length(1);
  });

  it('answers only after the append has resolved', async () => {
    const t = setup();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    t.sink.append = async (records) => {
      await gate;
      t.sink.records.push(...records);
    };
    const done = t.send(acct(c, SECRET, sessionAttrs('Start')));
    await new Promise((r) => setImmediate(r));
    expect(t.replies).to.be.empty;
    release();
    await done;
    expect(t.replies).to.have.length(1);
  });

  it('answers a retransmission of a request still being written as soon as the write completes, recording it once', async () => {
    const t = setup();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    t.sink.append = async (records) => {
      await gate;
      t.sink.records.push(...records);
    };
    const req = acct(c, SECRET, sessionAttrs('Interim-Update', { outOctets: 10 }));
    const first = t.send(req);
    const again = t.send(Buffer.from(req));
    const resentWithNewId = acct(c, SECRET, sessionAttrs('Interim-Update', { outOctets: 10, extra: [['Event-Timestamp', new Date('2026-03-01T09:59:00Z')]] }), 7);
    const third = t.send(resentWithNewId);
    await new Promise((r) => setImmediate(r));
    expect(t.replies).to.be.empty;
    release();
    expect(await Promise.all([first, again, third])).to.deep.equal(['recorded', 'retransmit', 'recorded']);
    expect(t.replies).to.have.length(3);
    expect(t.replies[1]!.equals(t.replies[0]!)).to.equal(true);
    expect(t.sink.records).to.have.length(2);
  });

  it('answers a retransmission with a new Identifier of a request still being written, with its own Identifier', async () => {
    const t = setup();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    t.sink.append = async (records) => {
      await gate;
      t.sink.records.push(...records);
    };
    const attrs = sessionAttrs('Interim-Update', { outOctets: 10, extra: [['Event-Timestamp', new Date('2026-03-01T09:59:00Z')]] });
    const first = t.send(acct(c, SECRET, attrs, 11));
    const again = t.send(acct(c, SECRET, attrs, 12));
    await new Promise((r) => setImmediate(r));
    release();
    expect(await Promise.all([first, again])).to.deep.equal(['recorded', 'retransmit']);
    expect(t.replies.map((r) => r[1])).to.deep.equal([11, 12]);
    expect(t.sink.records).to.have.length(1);
  });

  it('leaves a retransmission unanswered when the write of its request failed, so the NAS tries again', async () => {
    const t = setup();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    t.sink.append = async () => {
      await gate;
      throw new Error('disk gone');
    };
    const req = acct(c, SECRET, sessionAttrs('Interim-Update', { outOctets: 10 }));
    const first = t.send(req);
    const again = t.send(Buffer.from(req));
    release();
    expect(await Promise.all([first, again])).to.deep.equal(['dropped', 'dropped']);
    expect(t.replies).to.be.empty;
  });

  it('answers and records a counter beyond 2^63-1 as reported, so the plugin quarantines it rather than it being lost', async () => {
    const t = setup();
    const req = acct(c, SECRET, sessionAttrs('Stop', { outOctets: 4294967295, outGiga: 4294967295 }));
    expect(await t.send(req)).to.equal('recorded');
    expect(t.replies).to.have.length(1);
    expect(t.sink.records.map((r) => r.downloadOctets)).to.deep.equal([(2n ** 64n - 1n).toString()]);
    expect(await t.metric('octet_agent_radius_counters_beyond_storable_total')).to.equal(1);
  });

  it('closes every open session of the NAS on Accounting-On with their last counters', async () => {
    const t = setup();
    await t.send(acct(c, SECRET, sessionAttrs('Interim-Update', { session: 's1', outOctets: 111 })));
    await t.send(acct(c, SECRET, sessionAttrs('Interim-Update', { session: 's2', user: 'bob', outOctets: 222 })));
    await t.send(acct(c, SECRET, [['Acct-Status-Type', 'Accounting-On'], ['NAS-IP-Address', '192.0.2.10']]));
    const closing = t.sink.records.slice(2);
    expect(closing.map((r) => [r.sessionId, r.downloadOctets, r.ended])).to.have.deep.members([
      ['s1', '111', true],
      ['s2', '222', true],
    ]);
    expect(t.sessions.size).to.equal(0);
    expect(t.replies).to.have.length(3);
  });

  it('answers but does not record accounting from a NAS whose sessions are polled', async () => {
    const t = setup({ pollSourced: new Set(['bras1']) });
    expect(await t.send(acct(c, SECRET, sessionAttrs('Start')))).to.equal('ignored');
    expect(t.sink.records).to.be.empty;
    expect(t.replies).to.have.length(1);
    expect(await t.metric('octet_agent_radius_ignored_total', 'poll-source')).to.equal(1);
  });

  it('uses Event-Timestamp minus Acct-Delay-Time as the observed time', async () => {
    const t = setup();
    await t.send(
      acct(c, SECRET, sessionAttrs('Interim-Update', {
        time: 600,
        extra: [['Event-Timestamp', new Date('2026-03-01T09:00:00Z')], ['Acct-Delay-Time', 30]],
      })),
    );
    expect(t.sink.records[0]).to.include({
      observedAt: '2026-03-01T08:59:30.000Z',
      sessionStart: '2026-03-01T08:49:30.000Z',
    });
  });

  it('decodes MikroTik attributes and ignores unknown vendors without failing', async () => {
    const t = setup();
    const foreign = Buffer.from([26, 12, 0, 0, 0x30, 0x39, 0xff, 0, 1, 2, 3, 4]);
    const req = acct(c, SECRET, sessionAttrs('Start', {
      extra: [['Vendor-Specific', 14988, [['Mikrotik-Rate-Limit', '10M/20M']]], [200, Buffer.from('x')], [26, foreign.subarray(2)]],
    }));
    expect(await t.send(req)).to.equal('recorded');
  });

  it('answers Accounting-Off with no open sessions and records nothing', async () => {
    const t = setup();
    expect(await t.send(acct(c, SECRET, [['Acct-Status-Type', 'Accounting-Off'], ['NAS-IP-Address', '192.0.2.10']]))).to.equal('ignored');
    expect(t.replies).to.have.length(1);
  });

  it('records a request carrying Proxy-State and echoes it in the answer (decoded by the radius package)', async () => {
    const t = setup();
    const req = acct(c, SECRET, sessionAttrs('Interim-Update', { outOctets: 9, extra: [['Proxy-State', Buffer.from('hop1')]] }));
    expect(await t.send(req)).to.equal('recorded');
    expect(t.sink.records[0]).to.include({ login: 'alice', downloadOctets: '9' });
    expect(t.replies[0]!.subarray(20).equals(Buffer.from([33, 6, ...Buffer.from('hop1')]))).to.equal(true);
  });

  it('records a request with a repeated User-Name as the radius package reads it (the first value)', async () => {
    const t = setup();
    const req = acct(c, SECRET, sessionAttrs('Start', { user: 'first', extra: [['User-Name', 'second']] }));
    expect(await t.send(req)).to.equal('recorded');
    expect(t.sink.records[0]).to.include({ login: 'first' });
  });

  it('lets a request being written finish and be answered when stopped', async () => {
    const sink = new MemorySink();
    let began: () => void = () => undefined;
    const appendBegan = new Promise<void>((r) => (began = r));
    let release: () => void = () => undefined;
    const released = new Promise<void>((r) => (release = r));
    const gated = {
      append: async (records: Parameters<MemorySink['append']>[0]) => {
        began();
        await released;
        await sink.append(records);
      },
    };
    const t = setup({ clients: [{ name: 'lo', address: '127.0.0.1', secret: SECRET }], sink: gated });
    const { port } = await t.server.start();
    const client = createSocket('udp4');
    try {
      const reply = new Promise<Buffer>((resolve) => client.on('message', (m) => resolve(m)));
      client.send(acct(c, SECRET, sessionAttrs('Start')), port, '127.0.0.1');
      await appendBegan;
      const stopped = t.server.stop();
      release();
      await stopped;
      expect((await reply)[0]).to.equal(5);
      expect(sink.records).to.have.length(1);
    } finally {
      client.close();
    }
  });

  it('serves accounting over UDP on its socket', async () => {
    const t = setup({ clients: [{ name: 'lo', address: '127.0.0.1', secret: SECRET }] });
    const { port } = await t.server.start();
    const client = createSocket('udp4');
    try {
      const reply = await new Promise<Buffer>((resolve) => {
        client.on('message', (m) => resolve(m));
        client.send(acct(c, SECRET, sessionAttrs('Start')), port, '127.0.0.1');
      });
      expect(reply[0]).to.equal(5);
      expect(t.sink.records).to.have.length(1);
    } finally {
      client.close();
      await t.server.stop();
    }
  });
});
