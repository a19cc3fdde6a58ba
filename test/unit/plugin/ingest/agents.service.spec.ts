import { expect } from 'chai';
import type { AgentInfo, AgentsRepository } from '../../../../plugin/ingest/agents.repository.js';
import { AgentsService } from '../../../../plugin/ingest/agents.service.js';
import type { AuditRepository } from '../../../../plugin/audit/audit.repository.js';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { AuthenticationError, NotFoundError, ValidationError } from '../../../../plugin/common/errors.js';
import type { Database } from '../../../../plugin/db/database.js';

const agent: AgentInfo = { id: 7, name: 'pop-north', prefix: 'oct_agent_abcd', createdBy: 'cli', createdAt: new Date(0), lastSeenAt: null, revokedAt: null };

function service(found: AgentInfo | null) {
  const touched: Date[] = [];
  const repo = {
    findActiveByToken: async (token: string) => (token === 'good' ? found : null),
    touch: async (_id: number, at: Date) => void touched.push(at),
  } as unknown as AgentsRepository;
  const clock = new ManualClock('2026-03-01T00:00:00Z');
  const db = { transaction: async <T>(fn: (t: never) => Promise<T>) => fn(undefined as never) } as unknown as Database;
  const svc = new AgentsService({ db, agents: repo, audit: { record: async () => undefined } as unknown as AuditRepository, clock });
  return { svc, touched, clock };
}

describe('agents service', () => {
  it('authenticates a known token and notes when the agent was last seen, at most once a minute', async () => {
    const { svc, touched, clock } = service(agent);
    expect(await svc.authenticate('good')).to.equal(agent);
    await svc.authenticate('good');
    clock.advance(60_000);
    await svc.authenticate('good');
    expect(touched.map((d) => d.toISOString())).to.deep.equal(['2026-03-01T00:00:00.000Z', '2026-03-01T00:01:00.000Z']);
  });

  it('refuses a missing token and an unknown or revoked one as authentication errors (401)', async () => {
    const { svc } = service(agent);
    for (const token of [null, 'bad']) {
      try {
        await svc.authenticate(token);
        expect.fail('accepted');
      } catch (err) {
        expect(err).to.be.instanceOf(AuthenticationError);
      }
    }
  });

  it('refuses an agent name that could not appear in a config or an audit actor', async () => {
    const { svc } = service(agent);
    for (const name of ['', 'has space', '-leading', 'x'.repeat(101)]) {
      try {
        await svc.create(name, 'cli');
        expect.fail(`accepted ${name}`);
      } catch (err) {
        expect(err).to.be.instanceOf(ValidationError);
      }
    }
  });

  it('rotates a named agent\'s token and audits old and new prefix in the same transaction', async () => {
    const tx = { id: 'tx-1' };
    const seen: Array<[string, unknown]> = [];
    const repo = {
      findByName: async (name: string, t: unknown) => (seen.push(['find', t]), name === agent.name ? { ...agent, revokedAt: new Date(0) } : null),
      rotateToken: async (id: number, t: unknown) => (seen.push(['rotate', t]), id === agent.id ? { token: 'oct_agent_wxyz-new', prefix: 'oct_agent_wxyz' } : null),
    } as unknown as AgentsRepository;
    const audits: unknown[] = [];
    const audit = { record: async (e: unknown, t: unknown) => void (audits.push(e), seen.push(['audit', t])) } as unknown as AuditRepository;
    const db = { transaction: async <T>(fn: (t: never) => Promise<T>) => fn(tx as never) } as unknown as Database;
    const svc = new AgentsService({ db, agents: repo, audit, clock: new ManualClock('2026-03-01T00:00:00Z') });

    const rotated = await svc.rotate('pop-north', 'user:3');

    expect(rotated).to.deep.equal({ token: 'oct_agent_wxyz-new', info: { ...agent, prefix: 'oct_agent_wxyz', revokedAt: null } });
    expect(audits).to.deep.equal([
      { actor: 'user:3', action: 'agent.rotate', entityType: 'agent', entityId: 7, details: { name: 'pop-north', oldPrefix: 'oct_agent_abcd', newPrefix: 'oct_agent_wxyz', reactivated: true } },
    ]);
    expect(seen).to.deep.equal([['find', tx], ['rotate', tx], ['audit', tx]]);
    try {
      await svc.rotate('pop-south', 'user:3');
      expect.fail('rotated an unknown agent');
    } catch (err) {
      expect(err).to.be.instanceOf(NotFoundError);
    }
  });
});
