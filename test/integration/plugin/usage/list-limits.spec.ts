import { expect } from 'chai';
import { buildIngest, ingestModule, type AgentInfo } from '../../../../plugin/ingest/index.js';
import { ManualClock } from '../../../../plugin/common/clock.js';
import type { SessionObservation } from '../../../../plugin/common/wire.js';
import type { PluginModule } from '../../../../plugin/modules.js';
import { buildUsage, usageModule } from '../../../../plugin/usage/index.js';
import { usagePages } from '../../../../plugin/usage/routes.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { createStaff, loggedIn, type Browser } from '../../../support/web.js';
import { batch, observation } from './fixtures.js';

const OBSERVED = '2026-03-02T10:00:00.000Z';

/** One live session with usage for each login, no service for any: live and unassigned at once. */
async function sessionsFor(plugin: TestPlugin, usage: ReturnType<typeof buildUsage>, agent: AgentInfo, logins: readonly string[]): Promise<void> {
  const records: SessionObservation[] = logins.map((login) =>
    observation({ login, sessionId: `S-${login}`, sessionStart: '2026-03-02T09:30:00.000Z', observedAt: OBSERVED, downloadOctets: '1000', uploadOctets: '100' }),
  );
  for (let i = 0; i < records.length; i += 1000) {
    const ack = await buildIngest(plugin.ctx).ingest.ingestBatch(agent, batch(records.slice(i, i + 1000)));
    expect(ack.rejected).to.deep.equal([]);
  }
  await usage.rollup.rollupPending();
}

function listed(html: string): string[] {
  return [...html.matchAll(/<tr><td>(user-\d+)<\/td>/g)].map((m) => m[1]!);
}

forEachDatabase('usage list pages that stop at a limit', (dialect) => {
  describe('with small limits (3 live sessions, 2 unassigned logins)', () => {
    let plugin: TestPlugin;
    let usage: ReturnType<typeof buildUsage>;
    let agent: AgentInfo;
    let staff: Browser;
    const clock = new ManualClock('2026-03-02T10:05:00Z');
    // The usage pages as the usage module mounts them, with limits a test can reach.
    const smallLists: PluginModule = {
      name: 'usage-small-lists',
      install: (ctx) => {
        const u = buildUsage(ctx);
        return { pages: (router) => usagePages(router, { queries: u.queries, timezone: u.timezone, now: () => ctx.clock.now(), listLimits: { live: 3, unassigned: 2 } }) };
      },
    };

    before(async () => {
      plugin = await createTestPlugin(dialect, { modules: [smallLists], clock });
      usage = buildUsage(plugin.ctx);
      agent = (await buildIngest(plugin.ctx).agents.create('pop-lists', 'test')).info;
      staff = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'readonly'));
    });
    after(async () => plugin?.close());

    it('shows every row and no note while the lists fit their limits exactly', async () => {
      await sessionsFor(plugin, usage, agent, ['user-1', 'user-2']);
      const unassigned = await staff.get('/usage/unassigned').expect(200);
      expect(listed(unassigned.text)).to.deep.equal(['user-1', 'user-2']);
      expect(unassigned.text).not.to.contain('list-truncated');
      await sessionsFor(plugin, usage, agent, ['user-3']);
      const live = await staff.get('/usage/live').expect(200);
      expect(listed(live.text)).to.deep.equal(['user-1', 'user-2', 'user-3']);
      expect(live.text).not.to.contain('list-truncated');
    });

    it('says "showing the first 3 of 5" on the live page when more sessions are live than it shows', async () => {
      await sessionsFor(plugin, usage, agent, ['user-4', 'user-5']);
      const live = await staff.get('/usage/live').expect(200);
      expect(listed(live.text)).to.deep.equal(['user-1', 'user-2', 'user-3']);
      expect(live.text).to.contain('Showing the first 3 of 5.');
    });

    it('says "showing the first 2 of 5" on the unassigned page when more logins have unassigned usage', async () => {
      const unassigned = await staff.get('/usage/unassigned').expect(200);
      expect(listed(unassigned.text)).to.deep.equal(['user-1', 'user-2']);
      expect(unassigned.text).to.contain('Showing the first 2 of 5.');
    });
  });

  describe('with the shipped limits', () => {
    let plugin: TestPlugin;
    const clock = new ManualClock('2026-03-02T10:05:00Z');

    before(async function () {
      this.timeout(120_000);
      plugin = await createTestPlugin(dialect, { modules: [ingestModule, usageModule], clock });
      const usage = buildUsage(plugin.ctx);
      const agent = (await buildIngest(plugin.ctx).agents.create('pop-many', 'test')).info;
      await sessionsFor(plugin, usage, agent, Array.from({ length: 501 }, (_, i) => `user-${String(i).padStart(3, '0')}`));
    });
    after(async () => plugin?.close());

    it('lists 500 of 501 unassigned logins and says so, where it used to stop silently', async () => {
      const staff = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'readonly'));
      const page = await staff.get('/usage/unassigned').expect(200);
      expect(listed(page.text)).to.have.length(500);
      expect(page.text).to.contain('Showing the first 500 of 501.');
    });
  });
});
