import { UserError } from '../../common/errors.js';
import type { Command } from 'commander';
import { formatMoney } from '../../common/money.js';
import type { EvaluationResult } from '../../dunning/index.js';
import { withPlugin, withPluginConfigOption } from '../plugin-config.js';

function summary(r: EvaluationResult): string {
  const lines = [`${r.dryRun ? 'dry run' : 'dunning'} at ${r.at.toISOString()}: ${r.accounts} accounts with unpaid invoices or a dunning suspension`];
  if (!r.dryRun) lines.push(`suspended ${r.suspended.length}, restored ${r.restored.length}; reminders sent ${r.reminders.sent}, due but not sent ${r.reminders.unsent}, failed ${r.reminders.failed}`);
  if (!r.decisions.length) lines.push('  nobody to remind, suspend or restore');
  for (const d of r.decisions) {
    const x = d.decision;
    const what = [x.suspend ? (r.dryRun ? 'would suspend' : 'suspended') : '', x.restore ? (r.dryRun ? 'would restore' : 'restored') : '', x.remind.length ? `${r.dryRun ? 'would remind' : 'reminded'} ${x.remind.map((m) => m.number).join(', ')}` : ''].filter(Boolean).join(', ');
    lines.push(`  account #${d.accountId} ${d.name}: ${what}${x.currency ? ` (overdue ${formatMoney(x.overdueMinor, x.currency)}, ${x.daysPastDue} days)` : ''}`);
    for (const why of x.reasons) lines.push(`    - ${why}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `octet dunning [--dry-run]`: evaluates the dunning policy now (reminders, suspensions, restorations). */
export function registerDunning(program: Command): void {
  withPluginConfigOption(
    program
      .command('dunning')
      .description('evaluate the dunning policy now: send due reminders, suspend overdue accounts, restore paid ones')
      .option('-n, --dry-run', 'show who would be reminded, suspended or restored, and why; changes nothing')
      .option('--json', 'print the result as JSON'),
  ).action(async (opts: { config?: string; dryRun?: boolean; json?: boolean }) => {
    await withPlugin(opts, async (plugin) => {
      if (!opts.dryRun && plugin.services.host.owns.blocking) {
        throw new UserError(`the host platform (${plugin.services.host.platform.kind}) blocks overdue customers, so Octet's dunning only previews: run with --dry-run`);
      }
      const r = await plugin.services.dunning.dunning.evaluate({ dryRun: Boolean(opts.dryRun), actor: 'cli' });
      process.stdout.write(opts.json ? `${JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n` : summary(r));
    });
  });
}
