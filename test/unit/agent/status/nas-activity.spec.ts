import { expect } from 'chai';
import { NasActivity } from '../../../../agent/status/nas-activity.js';
import { ManualClock } from '../../../../plugin/common/clock.js';
import type { SessionObservation } from '../../../../plugin/common/wire.js';

describe('NAS activity for the status report', () => {
  const rec = (nas: string): SessionObservation => ({
    recordId: Math.random().toString(36),
    source: 'radius',
    sourceName: nas,
    login: 'a',
    sessionId: 's',
    sessionStart: null,
    observedAt: '2026-03-01T10:00:00.000Z',
    downloadOctets: '1',
    uploadOctets: '1',
    ended: false,
  });

  it('says a NAS is complete through its last packet only once the plugin acknowledged its records', async () => {
    const clock = new ManualClock('2026-03-01T10:00:00Z');
    let seq = 0;
    const activity = new NasActivity({ appendWithSeq: async (r) => ({ firstSeq: seq + 1, lastSeq: (seq += r.length) }) }, clock);
    await activity.append([rec('nas-a')]);
    const first = clock.now();
    clock.advance(5000);
    await activity.append([rec('nas-b'), rec('nas-a')]);
    expect(activity.status('nas-a', 0)).to.deep.equal({ lastSeenAt: clock.now(), completeThrough: null });
    expect(activity.status('nas-a', 1)).to.deep.equal({ lastSeenAt: clock.now(), completeThrough: first });
    expect(activity.status('nas-a', 3)).to.deep.equal({ lastSeenAt: clock.now(), completeThrough: clock.now() });
    expect(activity.status('nas-b', 3).completeThrough).to.deep.equal(clock.now());
    expect(activity.status('nas-silent', 3)).to.deep.equal({ lastSeenAt: null, completeThrough: null });
  });
});
