import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { enforcementConfigSchema } from '../../../../agent/enforcer/config.js';
import { createEnforcer } from '../../../../agent/enforcer/index.js';
import { DynamicAuthClient } from '../../../../agent/enforcer/radius-coa.js';
import { MIKROTIK_DICTIONARY } from '../../../../agent/main.js';
import { systemClock } from '../../../../plugin/common/clock.js';
import { nullLogger } from '../../../../plugin/common/logger.js';
import { CODE, DynAuthResponder, ERROR_CAUSE } from '../../../support/enforcer/dynauth-responder.js';
import { FakeEnforcementPlugin, until } from '../../../support/enforcer/fake-plugin.js';

/** Disconnect and CoA (RFC 5176) against a NAS responder written from the RFC (test/support). */
describe('agent enforcer on a RADIUS NAS (Disconnect/CoA)', function () {
  this.timeout(20_000);
  const SECRET = 'nas-secret-1';
  let nas: DynAuthResponder;
  let plugin: FakeEnforcementPlugin;
  let dir: string;
  let running: Array<{ close(): Promise<void> }> = [];

  function start(device: Record<string, unknown> = {}, secret = SECRET) {
    const e = createEnforcer({
      config: enforcementConfigSchema.parse({
        maxBackoffSeconds: 1,
        devices: [{ name: 'nas1', suspend: 'radius', throttle: 'radius', ...device, radius: { address: '127.0.0.1', port: nas.port, timeoutSeconds: 0.3, retries: 1, ...((device['radius'] as object) ?? {}) } }],
      }),
      plugin: { url: plugin.url, token: plugin.token, timeoutSeconds: 5 },
      routers: [],
      nases: [{ name: 'nas1', address: '127.0.0.1', secret }],
      stateDir: dir,
      connect: () => Promise.reject(new Error('no routers here')),
      // What accounting knows: alice has one open session.
      sessions: (n, login) => (n === 'nas1' && login === 'alice' ? [{ sessionId: '81A00002' }] : []),
      dictionaryFiles: [MIKROTIK_DICTIONARY],
      clock: systemClock,
      logger: nullLogger,
    });
    running.push(e);
    return e;
  }

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'octet-enforcer-radius-'));
    nas = new DynAuthResponder(SECRET);
    await nas.start();
    plugin = new FakeEnforcementPlugin();
    await plugin.start();
  });
  afterEach(async () => {
    for (const r of running.splice(0)) await r.close();
    await nas.stop();
    await plugin.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('suspends by Disconnect-Request with User-Name and the Acct-Session-Id; the ACK is reported as applied', async () => {
    const { enforcer } = start();
    await enforcer.start();
    await until(() => plugin.streamCount === 1);
    const item = plugin.set(7, 'alice', 'nas1', 'suspended');
    await until(() => plugin.lastApplied(7) !== undefined);
    expect(nas.dropped).to.deep.equal([]);
    expect(nas.received).to.deep.equal([{ code: CODE.DisconnectRequest, userName: 'alice', sessionId: '81A00002', rateLimit: null }]);
    expect(plugin.lastApplied(7)).to.include({ ok: true, applied: 'suspended', version: item.version, error: null });
  });

  it('a NAK changes nothing: reported as not applied with its Error-Cause', async () => {
    nas.decide = () => ({ ack: false, errorCause: ERROR_CAUSE.SessionContextNotFound });
    const { enforcer } = start();
    await enforcer.start();
    await until(() => plugin.streamCount === 1);
    plugin.set(8, 'bob', 'nas1', 'suspended');
    await until(() => plugin.lastApplied(8) !== undefined);
    expect(nas.received[0]).to.deep.equal({ code: CODE.DisconnectRequest, userName: 'bob', sessionId: null, rateLimit: null });
    expect(plugin.lastApplied(8)).to.include({ ok: false, applied: 'active', error: 'Disconnect-NAK: nothing changed (Error-Cause Session-Context-Not-Found)' });
  });

  it('throttles by CoA-Request with Mikrotik-Rate-Limit, and restores by Disconnect when no restore rate is set', async () => {
    const { enforcer } = start();
    await enforcer.start();
    await until(() => plugin.streamCount === 1);
    plugin.set(7, 'alice', 'nas1', 'throttled', '512k/2M');
    await until(() => plugin.lastApplied(7)?.ok === true);
    expect(nas.received).to.deep.equal([{ code: CODE.CoaRequest, userName: 'alice', sessionId: '81A00002', rateLimit: '512k/2M' }]);
    expect(plugin.lastApplied(7)).to.include({ applied: 'throttled', rate: '512k/2M' });
    plugin.set(7, 'alice', 'nas1', 'active');
    await until(() => plugin.lastApplied(7)?.applied === 'active');
    expect(nas.received[1]).to.deep.equal({ code: CODE.DisconnectRequest, userName: 'alice', sessionId: '81A00002', rateLimit: null });
  });

  it('restores a throttled subscriber by CoA with the configured rate', async () => {
    const { enforcer } = start({ radius: { restoreRateLimit: '10M/50M' } });
    await enforcer.start();
    await until(() => plugin.streamCount === 1);
    plugin.set(7, 'alice', 'nas1', 'throttled', '512k/2M');
    await until(() => plugin.lastApplied(7)?.ok === true);
    plugin.set(7, 'alice', 'nas1', 'active');
    await until(() => plugin.lastApplied(7)?.applied === 'active');
    expect(nas.received.map((r) => [r.code, r.rateLimit])).to.deep.equal([[CODE.CoaRequest, '512k/2M'], [CODE.CoaRequest, '10M/50M']]);
  });

  it('a NAS that does not answer (wrong secret: it drops our packets) is reported as unreachable and retried', async () => {
    const { enforcer } = start({}, 'not-the-secret');
    await enforcer.start();
    await until(() => plugin.streamCount === 1);
    plugin.set(7, 'alice', 'nas1', 'suspended');
    await until(() => plugin.lastApplied(7) !== undefined);
    expect(nas.dropped[0]).to.equal('request authenticator');
    expect(plugin.lastApplied(7)).to.include({ ok: false, error: 'nas1: no answer from 127.0.0.1:' + nas.port });
    // The NAS's secret is fixed meanwhile: the retry gets through.
    (nas as unknown as { secret: string }).secret = 'not-the-secret';
    await until(() => plugin.lastApplied(7)?.ok === true, 10_000, 'retry');
  });

  it('an answer that fails the Response Authenticator check is ignored (a forged ACK does not count)', async () => {
    const client = new DynamicAuthClient([MIKROTIK_DICTIONARY]);
    try {
      // The NAS signs with another secret than ours: its ACK cannot be verified, so we time out.
      const other = new DynAuthResponder(SECRET);
      await other.start();
      const answer = await client.send('disconnect', { address: '127.0.0.1', port: other.port, secret: 'not-the-secret', timeoutMs: 200, retries: 0 }, { userName: 'alice' });
      expect(answer).to.deep.equal({ kind: 'timeout' });
      const good = await client.send('coa', { address: '127.0.0.1', port: other.port, secret: SECRET, timeoutMs: 500, retries: 0 }, { userName: 'alice', rateLimit: '1M' });
      expect(good).to.deep.equal({ kind: 'ack' });
      await other.stop();
    } finally {
      await client.close();
    }
  });
});
