import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { generatePassword, ROLES, type Role } from '../../auth/index.js';
import { withPlugin, withPluginConfigOption } from '../plugin-config.js';

export function registerUser(program: Command): void {
  const user = program.command('user').description('manage staff users of the admin shell');
  withPluginConfigOption(
    user
      .command('add')
      .description('create a staff user; prints a generated password once unless --password-stdin is given')
      .requiredOption('--email <email>', 'login e-mail')
      .requiredOption('--name <name>', 'display name')
      .addOption(new Option('--role <role>', 'admin, billing or readonly').choices(ROLES).default('admin'))
      .option('--password-stdin', 'read the password from standard input instead of generating one'),
  ).action(async (opts: { config?: string; email: string; name: string; role: Role; passwordStdin?: boolean }) => {
    const password = opts.passwordStdin ? readFileSync(0, 'utf8').replace(/\r?\n$/, '') : generatePassword();
    await withPlugin(opts, async ({ ctx }) => {
      const created = await ctx.services.auth.createUser({ email: opts.email, name: opts.name, role: opts.role, password }, 'cli');
      process.stdout.write(`created ${created.role} ${created.email}\n`);
      if (!opts.passwordStdin) process.stdout.write(`password (shown once, change it after logging in): ${password}\n`);
    });
  });
}
