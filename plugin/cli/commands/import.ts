import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UserError } from '../../common/errors.js';
import { reportText } from '../../subscribers/index.js';
import { withPlugin, withPluginConfigOption } from '../plugin-config.js';

function readInput(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`${file}: ${code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? String(err)})`}`);
  }
}

export function registerImport(program: Command): void {
  const cmd = program.command('import').description('bring subscribers in from files');
  withPluginConfigOption(
    cmd
      .command('accounts')
      .argument('<file>', 'CSV file: UTF-8, comma or semicolon separated, header line naming the columns (see config/accounts.sample.csv)')
      .option('--dry-run', 'report what would change, write nothing')
      .description('create or update accounts and their services from a CSV file; external_id matches rows to accounts, so a re-import never creates twice. Any bad line: nothing is written and every problem is listed'),
  ).action(async (file: string, opts: { config?: string; dryRun?: boolean }) => {
    const bytes = readInput(file);
    await withPlugin(opts, async (plugin) => {
      const report = await plugin.services.subscribers.importer.run(bytes, { dryRun: !!opts.dryRun, actor: 'cli', source: file });
      const text = reportText(report, file);
      for (const line of text.out) process.stdout.write(`${line}\n`);
      for (const line of text.err.slice(0, -1)) process.stderr.write(`${line}\n`);
      if (report.errors.length) throw new UserError(text.err[text.err.length - 1]!);
    });
  });
}
