import type { Command } from 'commander';
import { createLogger } from '../../common/logger.js';
import type { DemoBilling } from '../demo/demo-billing.js';
import { runDemo } from '../demo/run-demo.js';
import type { StoryEvent } from '../demo/story.js';
import { parsePort, parsePositiveInt } from '../options.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run everything on this machine: a simulated MikroTik router and NAS, the agent and the plugin on SQLite')
    .option('--dir <dir>', 'where the demo keeps its database and spool', 'var/demo')
    .option('-p, --port <port>', 'HTTP port of the admin shell', parsePort, 8080)
    .option('--interval <seconds>', 'router poll and RADIUS interim interval', parsePositiveInt, 10)
    .option('--pace <seconds>', "seconds between the story's acts (payments, a month later, billing day, a payment)", parsePositiveInt, 20)
    .option('--no-story', 'keep the demo at the wall clock: no story, no clock jumps')
    .option('--verbose', 'log what every part does')
    .action(async (opts: { dir: string; port: number; interval: number; pace: number; story: boolean; verbose?: boolean }) => {
      const logger = createLogger({ level: opts.verbose ? 'info' : 'warn', format: 'text' });
      const story = opts.story
        ? { paceSeconds: opts.pace, onEvent: (e: StoryEvent) => process.stdout.write(`[story ${e.at.slice(0, 16).replace('T', ' ')} UTC] ${e.line}\n`) }
        : undefined;
      const demo = await runDemo({ dir: opts.dir, port: opts.port, intervalSeconds: opts.interval, logger, story });
      process.stdout.write(
        [
          '',
          'Octet demo is running.',
          '',
          `  Admin shell   ${demo.url}`,
          `  Log in as     ${demo.adminEmail}`,
          `  Password      ${demo.adminPassword}   (generated for this run)`,
          '',
          ...billingLines(demo.billing, demo.url),
          `  Suspended ${demo.overdue.suspended} overdue accounts (see ${demo.url}/enforcement); record a payment on ${demo.url}/payments to restore them`,
          '',
          `  Simulated MikroTik "pop-north": RouterOS API at ${demo.router.host}:${demo.router.port}, polled every ${opts.interval} s`,
          `  Simulated MikroTik "pop-south": RouterOS API at ${demo.south.host}:${demo.south.port}, ${demo.south.model.sessions.size} subscribers nobody has claimed yet`,
          `  Simulated NAS "bras-1": RADIUS accounting to the agent at 127.0.0.1:${demo.agent.radiusPort}`,
          `  Agent health  http://127.0.0.1:${demo.agent.httpPort}/healthz   metrics: /metrics`,
          '',
          '  Usage shows under Usage within a minute; logins nobody claimed yet under Accounts > Unclaimed logins.',
          ...(story
            ? [
                `  The story: every ${opts.pace} s an act on the demo clock (now ${demo.clock.now().toISOString().slice(0, 16).replace('T', ' ')} UTC): payments come in,`,
                '  a month of traffic passes, an overdue customer is suspended and a fair-use cap throttles, the billing',
                '  day issues invoices, and a payment restores the customer. Watch it in the pages; --no-story turns it off.',
              ]
            : []),
          '  Ctrl-C stops the demo; its data stays in ' + opts.dir + '.',
          '',
        ].join('\n') + '\n',
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await demo.stop();
    });
}

/** What the demo did about last month, in the newcomer's words. */
function billingLines(b: DemoBilling, url: string): string[] {
  const lines = [
    b.issuedNow
      ? `  Invoiced ${b.invoiced} accounts for ${b.month} (billing date ${b.period}): ${url}/invoices`
      : `  ${b.month} was invoiced before: ${b.invoiced} accounts (billing date ${b.period}): ${url}/invoices`,
    `  Billing runs  ${url}/billing/runs`,
  ];
  if (b.pdfs.rendered > 0) lines.push(`  PDFs          ${b.pdfs.rendered} rendered now with Chromium`);
  if (b.pdfs.failed > 0) lines.push(`  PDFs          ${b.pdfs.failed} not rendered yet (is /usr/bin/chromium installed?): see ${url}/delivery`);
  for (const e of b.errors) lines.push(`  Not billed    ${e}`);
  return lines;
}
