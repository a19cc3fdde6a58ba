import { expect } from 'chai';
import { Registry } from 'prom-client';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { nullLogger } from '../../../../plugin/common/logger.js';
import type { SessionObservation } from '../../../../plugin/common/wire.js';
import { OpenSessions } from '../../../../agent/radius/open-sessions.js';
import { RadiusAccountingServer, type SessionTable } from '../../../../agent/radius/server.js';
import { acct, codec, MemorySink, sessionAttrs } from './fixtures.js';

const SECRET = 'nas-secret';
const NAS = { address: '192.0.2.10', port: 40000 };
const c = codec();
const T1 = new Date('2026-03-01T10:00:00Z');
const T2 = new Date('2026-03-01T10:10:00Z');

/** The server against the real open-session table (the book without its files). */
function setup(clock: ManualClock) {
  const table = new OpenSessions({ now: () => clock.now().getTime() });
  const sessions: SessionTable = {
    openFor: (nas) => table.openFor(nas),
    endedFor: (nas, id) => table.endedFor(nas, id),
    apply: (records) => records.forEach((r) => table.apply(r)),
    get size() {
      return table.size;
    },
  };
  const sink = new MemorySink();
  const replies: Buffer[] = [];
  const server = new RadiusAccountingServer({
    host: '127.0.0.1',
    port: 0,
    clients: [{ name: 'bras1', address: NAS.address, secret: SECRET }],
    sink,
    sessions,
    codec: c,
    clock,
    logger: nullLogger,
    registry: new Registry(),
    retransmitWindowMs: 30_000,
  });
  const send = (packet: Buffer) => server.handle(packet, NAS, (r) => replies.push(r));
  return { sink, replies, send, table };
}

const interim = (down: number, up: number, at: Date, extra: Parameters<typeof sessionAttrs>[1] = {}) =>
  sessionAttrs('Interim-Update', { outOctets: down, inOctets: up, time: 600, ...extra, extra: [['Event-Timestamp', at], ...(extra.extra ?? [])] });

describe('RADIUS sessions that have ended', () => {
  it('never re-opens a stopped session when the same interim comes again after the duplicate window, so Accounting-On adds nothing', async () => {
    const clock = new ManualClock('2026-03-01T10:10:05Z');
    const t = setup(clock);
    await t.send(acct(c, SECRET, sessionAttrs('Start', { extra: [['Event-Timestamp', new Date('2026-03-01T09:50:00Z')]] })));
    const late = acct(c, SECRET, interim(1_000_000_000, 100_000_000, T1));
    await t.send(late);
    await t.send(acct(c, SECRET, sessionAttrs('Stop', { outOctets: 1_200_000_000, inOctets: 120_000_000, time: 1200, extra: [['Event-Timestamp', T2]] })));
    clock.advance(60_000);
    await t.send(Buffer.from(late));
    await t.send(acct(c, SECRET, [['Acct-Status-Type', 'Accounting-On'], ['NAS-IP-Address', '192.0.2.10']]));
    expect(t.replies).to.have.length(5);
    expect(t.sink.records.map((r) => [r.ended, r.downloadOctets])).to.deep.equal([
      [false, '0'],
      [false, '1000000000'],
      [true, '1200000000'],
    ]);
    expect(t.table.size).to.equal(0);
  });

  it('never re-opens a stopped session for a late interim without Event-Timestamp (stamped on arrival)', async () => {
    const clock = new ManualClock('2026-03-01T10:10:05Z');
    const t = setup(clock);
    await t.send(acct(c, SECRET, sessionAttrs('Stop', { outOctets: 1_200_000_000, inOctets: 120_000_000, time: 1200, extra: [['Event-Timestamp', T2]] })));
    clock.advance(60_000);
    await t.send(acct(c, SECRET, sessionAttrs('Interim-Update', { outOctets: 1_000_000_000, inOctets: 100_000_000, time: 600 })));
    await t.send(acct(c, SECRET, [['Acct-Status-Type', 'Accounting-Off'], ['NAS-IP-Address', '192.0.2.10']]));
    expect(t.sink.records.map((r) => [r.ended, r.downloadOctets])).to.deep.equal([[true, '1200000000']]);
    expect(t.replies).to.have.length(3);
  });

  it('keeps later counters of an ended session (a NAS retry after Accounting-On) without re-opening it', async () => {
    const clock = new ManualClock('2026-03-01T10:10:05Z');
    const t = setup(clock);
    await t.send(acct(c, SECRET, interim(500, 50, T1)));
    await t.send(acct(c, SECRET, [['Acct-Status-Type', 'Accounting-On'], ['NAS-IP-Address', '192.0.2.10'], ['Event-Timestamp', T2]]));
    await t.send(acct(c, SECRET, interim(800, 80, new Date('2026-03-01T10:05:00Z'))));
    await t.send(acct(c, SECRET, [['Acct-Status-Type', 'Accounting-On'], ['NAS-IP-Address', '192.0.2.10']]));
    expect(t.sink.records.map((r) => [r.ended, r.downloadOctets, r.synthetic ?? false])).to.deep.equal([
      [false, '500', false],
      [true, '500', true],
      [true, '800', false],
    ]);
    expect(t.table.size).to.equal(0);
  });

  it('opens a new session with the same id when its Start comes after the end', async () => {
    const clock = new ManualClock('2026-03-01T10:10:05Z');
    const t = setup(clock);
    await t.send(acct(c, SECRET, sessionAttrs('Stop', { outOctets: 900, time: 100, extra: [['Event-Timestamp', T1]] })));
    await t.send(acct(c, SECRET, sessionAttrs('Start', { extra: [['Event-Timestamp', T2]] })));
    await t.send(acct(c, SECRET, interim(40, 4, new Date('2026-03-01T10:20:00Z'))));
    expect(t.table.size).to.equal(1);
    expect(t.table.openFor('bras1').map((o) => o.downloadOctets)).to.deep.equal(['40']);
  });

  it('marks the closes it makes up on Accounting-On/Off as synthetic', async () => {
    const clock = new ManualClock('2026-03-01T10:10:05Z');
    const t = setup(clock);
    await t.send(acct(c, SECRET, interim(500, 50, T1)));
    await t.send(acct(c, SECRET, [['Acct-Status-Type', 'Accounting-Off'], ['NAS-IP-Address', '192.0.2.10']]));
    expect(t.sink.records.map((r: SessionObservation) => r.synthetic)).to.deep.equal([undefined, true]);
  });

  it('forgets an ended session once the memory period is over', () => {
    let now = Date.parse('2026-03-01T10:00:00Z');
    const table = new OpenSessions({ now: () => now });
    table.apply({ recordId: 'x', source: 'radius', sourceName: 'bras1', login: 'a', sessionId: 's1', sessionStart: null, observedAt: T1.toISOString(), downloadOctets: '5', uploadOctets: '1', ended: true });
    now += 47 * 3600_000;
    table.pruneEnded(now - 48 * 3600_000);
    expect(table.endedFor('bras1', 's1')).to.not.equal(undefined);
    now += 2 * 3600_000;
    table.pruneEnded(now - 48 * 3600_000);
    expect(table.endedFor('bras1', 's1')).to.equal(undefined);
  });
});
