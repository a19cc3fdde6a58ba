#!/usr/bin/env node
// The `octet` executable. It runs the TypeScript sources through tsx's loader, so the package
// needs no build step to run; `npm run typecheck` checks the types.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
await main(process.argv);
