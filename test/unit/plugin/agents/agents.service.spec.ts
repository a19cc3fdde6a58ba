import { expect } from 'chai';
import type { AgentInfo, AgentsRepository } from '../../../../plugin/agents/agents.repository.js';
import { AgentsService } from '../../../../plugin/agents/agents.service.js';
import type { AuditRepository } from '../../../../plugin/audit/audit.repository.js';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { AuthenticationError, ValidationError } from '../../../../plugin/common/errors.js';
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
});
