import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError } from '../../common/errors.js';
import { parseScenarioText, rateScenario, ratingJson } from '../../rating/index.js';

/** `octet rate FILE`: rates a scenario and prints its invoices and credit notes as JSON; no database. */
export function registerRate(program: Command): void {
  program
    .command('rate')
    .argument('<scenario>', 'scenario file (YAML or JSON): tariffs, the service and its usage, the invoices to show (see config/rate-scenarios/)')
    .description('print the invoices, credit notes, lines and totals a scenario would produce, as JSON, without touching the database')
    .action((file: string) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new ConfigError(file, [{ field: '', message: code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? String(err)})` }]);
      }
      const scenario = parseScenarioText(text, file);
      process.stdout.write(`${JSON.stringify(ratingJson(rateScenario(scenario), scenario.timezone), null, 2)}\n`);
    });
}
