import type { Command } from 'commander';
import { registerAgent } from './agent.js';
import { registerAgentToken } from './agent-token.js';
import { registerBill } from './bill.js';
import { registerDunning } from './dunning.js';
import { registerDemo } from './demo.js';
import { registerImport } from './import.js';
import { registerMigrate } from './migrate.js';
import { registerPackage } from './package.js';
import { registerRate } from './rate.js';
import { registerServe } from './serve.js';
import { registerSimulateRouter } from './simulate-router.js';
import { registerUnclaimed } from './unclaimed.js';
import { registerUser } from './user.js';

/** Every subcommand of `octet`, in the order `octet --help` lists them. */
export const commands: Array<(program: Command) => void> = [registerDemo, registerAgent, registerServe, registerMigrate, registerUser, registerAgentToken, registerSimulateRouter, registerImport, registerUnclaimed, registerRate, registerBill, registerDunning, registerPackage];
