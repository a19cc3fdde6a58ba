import type { Command } from 'commander';
import type { AgentsService } from '../../ingest/index.js';
import { withPlugin, withPluginConfigOption } from '../plugin-config.js';

function withAgents<T>(opts: { config?: string }, fn: (agents: AgentsService) => Promise<T>): Promise<T> {
  return withPlugin(opts, (plugin) => fn(plugin.services.ingest.agents));
}

export function registerAgentToken(program: Command): void {
  const cmd = program.command('agent-token').description('manage the tokens agents use to ship usage to the plugin');
  withPluginConfigOption(
    cmd.command('create').argument('<name>', 'agent name (letters, digits, ".", "-", "_"), e.g. pop-north').description('register an agent; prints its token once'),
  ).action(async (name: string, opts: { config?: string }) => {
    await withAgents(opts, async (agents) => {
      const { token, info } = await agents.create(name, 'cli');
      process.stdout.write(`created agent ${info.name}\ntoken (shown once; put it in the agent's config as plugin.token): ${token}\n`);
    });
  });
  withPluginConfigOption(cmd.command('list').description('list agents: name, token prefix, last seen, revoked')).action(async (opts: { config?: string }) => {
    await withAgents(opts, async (agents) => {
      const list = await agents.list();
      if (list.length === 0) process.stdout.write('no agents\n');
      for (const a of list) {
        const status = a.revokedAt ? `revoked ${a.revokedAt.toISOString()}` : 'active';
        process.stdout.write(`${a.name}\t${a.prefix}…\t${status}\tlast seen ${a.lastSeenAt?.toISOString() ?? 'never'}\n`);
      }
    });
  });
  withPluginConfigOption(
    cmd
      .command('rotate')
      .argument('<name>', 'agent name')
      .description('replace an agent\'s token (same agent, reactivated if revoked); prints the new token once, the old one gets 401 at once'),
  ).action(async (name: string, opts: { config?: string }) => {
    await withAgents(opts, async (agents) => {
      const { token, info } = await agents.rotate(name, 'cli');
      process.stdout.write(`rotated token of agent ${info.name}; the old token no longer works\ntoken (shown once; replace plugin.token in the agent's config): ${token}\n`);
    });
  });
  withPluginConfigOption(cmd.command('revoke').argument('<name>', 'agent name').description('revoke an agent\'s token: its requests get 401 from now on')).action(
    async (name: string, opts: { config?: string }) => {
      await withAgents(opts, async (agents) => {
        await agents.revoke(name, 'cli');
        process.stdout.write(`revoked agent ${name}\n`);
      });
    },
  );
}
