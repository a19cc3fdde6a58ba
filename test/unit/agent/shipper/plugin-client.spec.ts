import { expect } from 'chai';
import { getEventListeners } from 'node:events';
import { PluginClient } from '../../../../agent/shipper/plugin-client.js';
import { FakePlugin } from './fake-plugin.js';

const batch = (i: number) => ({
  batchId: `b-${i}`,
  sentAt: '2026-03-01T10:00:00.000Z',
  records: [{ recordId: `r${i}`, source: 'radius' as const, sourceName: 'bras1', login: 'a', sessionId: 's', sessionStart: null, observedAt: '2026-03-01T10:00:00.000Z', downloadOctets: '1', uploadOctets: '1', ended: false }],
});

describe('plugin client', () => {
  let plugin: FakePlugin;
  let url: string;
  beforeEach(async () => {
    plugin = new FakePlugin();
    url = await plugin.start();
  });
  afterEach(() => plugin.stop());

  it('leaves no listener on the shipper\'s signal after each request, however many a backlog drains (no MaxListenersExceededWarning)', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const client = new PluginClient({ url, token: plugin.token, timeoutMs: 10_000 });
      const shipping = new AbortController();
      for (let i = 0; i < 30; i++) expect((await client.postBatch(batch(i), shipping.signal)).kind).to.equal('ok');
      plugin.script = ['500', '500', '500'];
      for (let i = 30; i < 33; i++) expect((await client.postBatch(batch(i), shipping.signal)).kind).to.equal('failed');
      expect(getEventListeners(shipping.signal, 'abort')).to.have.length(0);
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).to.deep.equal([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('gives up on a plugin that does not answer within the timeout, and at once when shipping stops', async () => {
    plugin.script = ['hang', 'hang'];
    const client = new PluginClient({ url, token: plugin.token, timeoutMs: 200 });
    const shipping = new AbortController();
    const t0 = Date.now();
    expect((await client.postBatch(batch(1), shipping.signal)).kind).to.equal('failed');
    expect(Date.now() - t0).to.be.within(150, 3000);
    const slow = new PluginClient({ url, token: plugin.token, timeoutMs: 60_000 });
    const pending = slow.postBatch(batch(2), shipping.signal);
    setTimeout(() => shipping.abort(), 50);
    const t1 = Date.now();
    expect((await pending).kind).to.equal('failed');
    expect(Date.now() - t1).to.be.lessThan(3000);
  });
});
