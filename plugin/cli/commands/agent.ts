import type { Command } from 'commander';

/** `octet agent --config FILE`: the metering agent (RADIUS accounting, router poller, spool, shipper). */
export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description('run the metering agent: RADIUS accounting, router polling, durable spool, shipping to the plugin')
    .requiredOption('--config <file>', 'agent configuration file (YAML or JSON; see config/agent.example.yaml)')
    .action(async (opts: { config: string }) => {
      // Imported here so that other commands do not load the agent's code.
      const { runAgentCommand } = await import('../../../agent/main.js');
      await runAgentCommand(opts.config);
    });
}
