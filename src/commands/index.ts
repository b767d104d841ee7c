import type { CommandSpec } from './types.js';

/** Every command of the CLI, in the order `--help` lists them. */
export const commands: readonly CommandSpec<any>[] = [];
