#!/usr/bin/env node
// The entry point stays tiny: signal handling is installed before the command table and its
// imports load (yargs alone takes ~0.1 s), so no signal meets Node's defaults (see startup-signals.ts).
import { installStartupSignals } from './startup-signals.js';

installStartupSignals(process.argv.slice(2));
await import('./cli-main.js');
