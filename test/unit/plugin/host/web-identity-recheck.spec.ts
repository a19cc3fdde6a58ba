import { expect } from 'chai';
import type { Request } from 'express';
import { resolveHostStaff, RECHECK_MS } from '../../../../plugin/host/web-identity.js';
import type { HostPlatform } from '../../../../plugin/host/platform.js';

/** A host that vouches for a staff member once per word it gave (as a single-use assertion does). */
function hostOnce(staffRecheck: boolean | undefined): { host: HostPlatform; asked: () => number } {
  let asked = 0;
  const used = new Set<string>();
  const host = {
    kind: 'uisp',
    ...(staffRecheck === undefined ? {} : { staffRecheck }),
    identifyStaff: async (facts: { query: Record<string, string | undefined> }) => {
      asked++;
      const word = facts.query.sash!;
      if (used.has(word)) return null;
      used.add(word);
      return { externalId: '7', name: 'Carol Staff', email: null, octetRole: 'billing' };
    },
  } as unknown as HostPlatform;
  return { host, asked: () => asked };
}

function request(query: Record<string, string>, session: Record<string, unknown>): Request {
  return { query, headers: {}, ip: '127.0.0.1', session } as unknown as Request;
}

describe('host staff sessions (resolveHostStaff)', () => {
  it('keeps a staff member signed in by a single-use assertion past the recheck time, without asking the host again', async () => {
    const { host, asked } = hostOnce(false);
    const session: Record<string, unknown> = {};
    let now = 1_000_000;
    expect((await resolveHostStaff(host, request({ sash: 'assertion-1' }, session), () => now))?.name).to.equal('Carol Staff');
    now += RECHECK_MS * 3;
    const later = await resolveHostStaff(host, request({}, session), () => now);
    expect(later?.role).to.equal('billing');
    expect(asked()).to.equal(1);
  });

  it('asks a host whose word can be checked again (Splynx sash) once the recheck time has passed, and drops the session when it says no', async () => {
    const { host, asked } = hostOnce(undefined);
    const session: Record<string, unknown> = {};
    let now = 1_000_000;
    await resolveHostStaff(host, request({ sash: 'sash-1' }, session), () => now);
    now += RECHECK_MS - 1;
    expect(await resolveHostStaff(host, request({}, session), () => now)).not.to.equal(null);
    expect(asked()).to.equal(1);
    now += 2;
    // This fake host no longer knows the word: the staff member is out.
    expect(await resolveHostStaff(host, request({}, session), () => now)).to.equal(null);
    expect(asked()).to.equal(2);
    expect(session.hostStaff).to.equal(undefined);
  });
});
