#!/usr/bin/env node
// The `octet` executable. It runs the TypeScript sources through tsx's loader, so the package
// needs no separate build step to run; `npm run build` type-checks and compiles for those who
// prefer plain JavaScript in production.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
await main(process.argv);
