import type { Command } from 'commander';
import { formatBytes } from '../../common/bytes.js';
import { UserError } from '../../common/errors.js';
import type { SubscribersServices } from '../../subscribers/index.js';
import { withPlugin, withPluginConfigOption } from '../plugin-config.js';

function withSubscribers<T>(opts: { config?: string }, fn: (parts: SubscribersServices) => Promise<T>): Promise<T> {
  return withPlugin(opts, (plugin) => fn(plugin.services.subscribers));
}

export function registerUnclaimed(program: Command): void {
  const cmd = program.command('unclaimed').description("logins seen on the routers or in accounting that no live service claims");
  withPluginConfigOption(cmd.command('list').description('list unclaimed logins: where seen, and their unassigned usage')).action(async (opts: { config?: string }) => {
    await withSubscribers(opts, async ({ unclaimed }) => {
      const list = await unclaimed.list();
      if (!list.length) process.stdout.write('no unclaimed logins\n');
      for (const u of list) {
        const seen = u.sightings.map((s) => `${s.routerName}/${s.kind}${s.profile ? `:${s.profile}` : ''}${s.disabled ? '(disabled)' : ''}`).join(',') || '-';
        const usage = u.usage ? `${formatBytes(u.usage.download)} down ${formatBytes(u.usage.upload)} up` : '-';
        process.stdout.write(`${u.login}\t${seen}\t${usage}\t${u.sightings.find((s) => s.comment)?.comment ?? ''}\n`);
      }
    });
  });
  withPluginConfigOption(
    cmd
      .command('claim')
      .argument('[logins...]', 'logins to claim (see `octet unclaimed list`)')
      .option('--all', 'claim every unclaimed login')
      .description('create an account and a service for each login (named after the router comment, on the router that holds it); their unassigned usage moves onto the new services'),
  ).action(async (logins: string[], opts: { config?: string; all?: boolean }) => {
    if (!opts.all && !logins.length) {
      throw new UserError('name the logins to claim, or pass --all');
    }
    await withSubscribers(opts, async ({ unclaimed }) => {
      const wanted = opts.all ? (await unclaimed.list()).map((u) => u.login) : logins;
      if (!wanted.length) {
        process.stdout.write('no unclaimed logins\n');
        return;
      }
      const results = await unclaimed.claim(wanted, 'cli');
      for (const r of results) process.stdout.write(`${r.login}\taccount #${r.account.id} ${r.account.name}\tservice #${r.service.id} from ${r.service.startDate}\n`);
    });
  });
}
