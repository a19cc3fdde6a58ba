import { expect } from 'chai';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { emptyState, type PollerState } from '../../../../agent/poller/decide.js';
import { PollerStateStore } from '../../../../agent/poller/state-store.js';
import { nullLogger } from '../../../../plugin/common/logger.js';

describe('poller state file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'octet-pollstate-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const state: PollerState = {
    version: 1,
    routerUptimeSeconds: 42,
    lastPollAt: '2026-03-01T10:00:00.000Z',
    sessions: {
      'ppp|*1|ann': { sessionId: 'ppp:*1@1', kind: 'ppp', itemId: '*1', login: 'ann', sessionStart: null, uptimeSeconds: 5, download: '18446744073709551615', upload: '0', lastSeenAt: '2026-03-01T10:00:00.000Z' },
    },
  };

  it('starts empty for a router never polled', async () => {
    expect(await new PollerStateStore(dir, nullLogger).load('bras1')).to.deep.equal(emptyState());
  });

  it('saves and loads the last counters exactly, 64-bit values included, leaving no temporary file', async () => {
    const store = new PollerStateStore(dir, nullLogger);
    await store.save('bras1', state);
    expect(await store.load('bras1')).to.deep.equal(state);
    expect(readdirSync(dir)).to.deep.equal(['poller-bras1.json']);
  });

  it('moves an unreadable state file aside and starts empty', async () => {
    writeFileSync(path.join(dir, 'poller-bras1.json'), '{"version":1,"sess');
    expect(await new PollerStateStore(dir, nullLogger).load('bras1')).to.deep.equal(emptyState());
    expect(readdirSync(dir).some((f) => f.startsWith('poller-bras1.json.corrupt-'))).to.equal(true);
  });
});
