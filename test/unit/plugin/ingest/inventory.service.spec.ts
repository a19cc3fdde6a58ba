import { expect } from 'chai';
import { UserError } from '../../../../plugin/common/errors.js';
import type { InventoryEntry } from '../../../../plugin/common/wire.js';
import type { AgentInfo } from '../../../../plugin/ingest/index.js';
import { InventoryService } from '../../../../plugin/ingest/inventory.service.js';
import { createFakes } from '../../../support/fakes/index.js';

const agent: AgentInfo = { id: 3, name: 'pop-north', prefix: 'oct_agent_abcd', createdBy: 'cli', createdAt: new Date(0), lastSeenAt: null, revokedAt: null };
const secret = (name: string, over: Partial<InventoryEntry> = {}): InventoryEntry => ({ kind: 'ppp', name, disabled: false, ...over });

function world() {
  const fakes = createFakes({ now: '2026-03-01T10:00:00Z' });
  const service = new InventoryService({ db: fakes.db, inventory: fakes.inventory, clock: fakes.clock });
  const snapshot = (routerName: string, takenAt: string, entries: InventoryEntry[]) => service.store(agent, { routerName, takenAt, entries });
  return { fakes, service, snapshot };
}

describe('inventory service (the routers\' PPP secrets and hotspot users)', () => {
  it("replaces a router's list with its newest snapshot: removed secrets go, new ones come", async () => {
    const { service, snapshot } = world();
    await snapshot('pop-north', '2026-03-01T09:00:00Z', [secret('alice'), secret('bob')]);
    const result = await snapshot('pop-north', '2026-03-01T09:05:00Z', [secret('bob'), secret('carol', { comment: 'Café Müller' })]);

    expect(result).to.deep.equal({ stored: true, entries: 2 });
    expect((await service.list()).map((r) => [r.name, r.comment ?? null])).to.deep.equal([['bob', null], ['carol', 'Café Müller']]);
  });

  it('ignores a snapshot older than the one stored (it arrived late), and says so', async () => {
    const { service, snapshot } = world();
    await snapshot('pop-north', '2026-03-01T09:05:00Z', [secret('bob')]);
    const late = await snapshot('pop-north', '2026-03-01T09:00:00Z', [secret('alice')]);

    expect(late).to.deep.equal({ stored: false, entries: 0 });
    expect((await service.list()).map((r) => r.name)).to.deep.equal(['bob']);
  });

  it("keeps each router's list apart", async () => {
    const { service, snapshot } = world();
    await snapshot('pop-north', '2026-03-01T09:00:00Z', [secret('alice')]);
    await snapshot('pop-south', '2026-03-01T09:00:00Z', [secret('dave', { kind: 'hotspot' })]);
    await snapshot('pop-north', '2026-03-01T09:05:00Z', []);

    expect((await service.list()).map((r) => `${r.routerName}/${r.kind}/${r.name}`)).to.deep.equal(['pop-south/hotspot/dave']);
    expect(await service.list({ routerName: 'pop-north' })).to.deep.equal([]);
  });

  it('stores a name the router listed twice once', async () => {
    const { service, snapshot } = world();
    const result = await snapshot('pop-north', '2026-03-01T09:00:00Z', [secret('alice', { profile: 'old' }), secret('alice', { profile: '100M' }), secret('alice', { kind: 'hotspot' })]);

    expect(result.entries).to.equal(2);
    expect((await service.list()).map((r) => `${r.kind}/${r.name}/${r.profile ?? '-'}`).sort()).to.deep.equal(['hotspot/alice/-', 'ppp/alice/100M']);
  });

  it('refuses a malformed snapshot as the agent\'s error, naming the field, and keeps the stored list', async () => {
    const { fakes, service, snapshot } = world();
    await snapshot('pop-north', '2026-03-01T09:00:00Z', [secret('alice')]);
    try {
      await service.store(agent, { routerName: 'pop-north', takenAt: '2026-03-01T09:05:00Z', entries: [{ kind: 'pptp', name: 'x', disabled: false }] });
      expect.fail('stored');
    } catch (err) {
      expect(err).to.be.instanceOf(UserError);
      expect((err as Error).message).to.contain('entries.0.kind');
    }
    expect(fakes.db.log).to.have.length(1);
    expect((await service.list()).map((r) => r.name)).to.deep.equal(['alice']);
  });
});
