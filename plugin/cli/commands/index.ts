import type { Command } from 'commander';
import { registerAgentToken } from './agent-token.js';
import { registerImport } from './import.js';
import { registerMigrate } from './migrate.js';
import { registerServe } from './serve.js';
import { registerSimulateRouter } from './simulate-router.js';
import { registerUnclaimed } from './unclaimed.js';
import { registerUser } from './user.js';

/** Every subcommand of `octet`, in the order `octet --help` lists them. */
export const commands: Array<(program: Command) => void> = [registerServe, registerMigrate, registerUser, registerAgentToken, registerSimulateRouter, registerImport, registerUnclaimed];
