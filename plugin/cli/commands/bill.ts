import type { Command } from 'commander';
import { DateTime } from 'luxon';
import { formatMinor } from '../../common/money.js';
import type { RunProgress } from '../../invoicing/index.js';
import { withPlugin, withPluginConfigOption } from '../plugin-config.js';

function defaultPeriod(timezone: string, cycle: string): string {
  const today = DateTime.now().setZone(timezone);
  return (cycle === 'calendar' ? today.startOf('month') : today.startOf('day')).toISODate()!;
}

function summary(p: RunProgress): string {
  const lines = [
    `${p.dryRun ? 'dry run' : 'run'} #${p.id} for ${p.periodKey}: ${p.status}`,
    `accounts seen ${p.accountsSeen}, already billed ${p.accountsAlreadyBilled}, failed ${p.accountsFailed}`,
    p.dryRun ? `would issue: ${p.preview.filter((r) => r.lines > 0).length} documents (first ${p.preview.length} accounts shown)` : `issued ${p.invoicesIssued} invoices, ${p.creditNotesIssued} credit notes`,
    ...p.totals.map((t) => `  ${t.currency}: invoiced ${formatMinor(BigInt(t.invoicedMinor), t.currency)}, credited ${formatMinor(BigInt(t.creditedMinor), t.currency)}`),
  ];
  if (p.dryRun) for (const r of p.preview.filter((x) => x.lines > 0).slice(0, 50)) lines.push(`  account #${r.accountId} ${r.name}: ${r.lines} lines, ${formatMinor(BigInt(r.totalMinor), r.currency)}${r.creditMinor !== '0' ? `, credit ${formatMinor(BigInt(r.creditMinor), r.currency)}` : ''}`);
  for (const e of p.errors) lines.push(`  error: account #${e.accountId}: ${e.message}`);
  if (p.failure) lines.push(`  failed: ${p.failure}`);
  return `${lines.join('\n')}\n`;
}

/** `octet bill`: a billing run for a date, its dry run, and reconciliation. */
export function registerBill(program: Command): void {
  const cmd = withPluginConfigOption(
    program
      .command('bill')
      .description('issue the invoices (and credit notes) due on a billing date; safe to repeat or resume: every account is billed once')
      .option('-p, --period <period>', 'the month (2026-12) or the date a period starts on (2026-12-15); default: this month (calendar cycle) or today')
      .option('-n, --dry-run', 'show what would be issued; issues nothing and takes no invoice number')
      .option('--json', 'print the result as JSON')
      // `octet bill reconcile --period P`: options after the subcommand are the subcommand's.
      .enablePositionalOptions(),
  ).action(async (opts: { config?: string; period?: string; dryRun?: boolean; json?: boolean }) => {
    await withPlugin(opts, async (plugin) => {
      const billing = plugin.services.invoicing.billing;
      const period = opts.period ?? defaultPeriod(plugin.config.billing.timezone, plugin.config.billing.cycle);
      const { runId, done } = await billing.start(period, { dryRun: Boolean(opts.dryRun), by: 'cli' });
      let last = '';
      const tick = setInterval(() => {
        void billing.progress(runId).then((p) => {
          const line = `billing ${p.periodKey}: ${p.accountsSeen} accounts, ${p.invoicesIssued} invoices, ${p.accountsFailed} failed`;
          if (line !== last && !opts.json) process.stderr.write(`${line}\n`);
          last = line;
        }).catch(() => undefined);
      }, 1000);
      const result = await done.finally(() => clearInterval(tick));
      process.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : summary(result));
      if (result.status !== 'finished' || result.accountsFailed > 0) process.exitCode = 1;
    });
  });
  withPluginConfigOption(
    cmd
      .command('reconcile')
      .description('compare the bytes billed on every invoice of a billing date (plus late adjustments carried since) with the hourly usage now')
      .requiredOption('-p, --period <period>', 'the billing date (2026-12 or 2026-12-15)')
      .option('--json', 'print the result as JSON'),
  ).action(async (opts: { config?: string; period: string; json?: boolean }) => {
    await withPlugin(opts, async (plugin) => {
      const r = await plugin.services.invoicing.billing.reconcile(opts.period);
      if (opts.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else {
        process.stdout.write(`${r.periodKey}: ${r.invoices} invoices, ${r.windows} usage windows, ${r.differences.length === 0 ? 'no differences' : `${r.differences.length} differences`}\n`);
        for (const d of r.differences) process.stdout.write(`  ${d.invoiceNumber} service #${d.serviceId} ${d.from}..${d.to}: billed ${d.billedBytes} + adjustments ${d.adjustmentsBytes}, usage now ${d.usageBytes} (difference ${d.differenceBytes})\n`);
      }
      if (r.differences.length) process.exitCode = 1;
    });
  });
}
