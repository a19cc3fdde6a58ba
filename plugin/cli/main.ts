import { Command, CommanderError } from 'commander';
import { errorMessage, exitCodeOf, EXIT_USER } from '../common/errors.js';
import { commands } from './commands/index.js';

/** Builds the `octet` command tree. Each subcommand lives in its own module under commands/. */
export function buildProgram(): Command {
  const program = new Command('octet')
    .description('Octet: usage-based billing for ISPs (metering agent and billing plugin)')
    .showHelpAfterError(false)
    // A subcommand's options after its own subcommand belong to that one (`octet bill reconcile --period P`).
    .enablePositionalOptions()
    .exitOverride();
  for (const register of commands) register(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

/**
 * Runs the CLI. User mistakes (bad arguments, bad config) end with one line naming the problem
 * and exit status 2; operational failures with exit status 1.
 */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
        process.exitCode = 0;
        return;
      }
      // commander already printed its message ("error: unknown option ...").
      process.exitCode = EXIT_USER;
      return;
    }
    process.stderr.write(`octet: ${errorMessage(err)}\n`);
    process.exitCode = exitCodeOf(err);
  }
}
