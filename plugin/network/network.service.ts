import type { Clock } from '../common/clock.js';
import { ValidationError } from '../common/errors.js';
import { agentStatusReport } from '../common/wire.js';
import type { CompletenessProvider, SourceCompleteness } from '../usage/index.js';
import { completenessOf, networkView, type NetworkView } from './network.js';
import type { StatusRepository } from './status.repository.js';

/** Agents' status reports in, the Network view and the completeness per source out. */
export class NetworkService implements CompletenessProvider {
  constructor(private readonly deps: { repo: StatusRepository; clock: Clock; silentAfterMinutes: number }) {}

  get silentAfterMinutes(): number {
    return this.deps.silentAfterMinutes;
  }

  async store(agent: { id: number; name: string }, body: unknown): Promise<void> {
    const parsed = agentStatusReport.safeParse(body);
    if (!parsed.success) {
      throw new ValidationError(
        'malformed status report',
        parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
      );
    }
    await this.deps.repo.save(agent, parsed.data, this.deps.clock.now());
  }

  async view(): Promise<NetworkView> {
    return networkView(await this.deps.repo.all(), this.deps.clock.now(), { silentAfterMinutes: this.deps.silentAfterMinutes });
  }

  async sources(): Promise<SourceCompleteness[]> {
    return completenessOf(await this.deps.repo.all());
  }
}
