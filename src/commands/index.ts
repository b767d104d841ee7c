import type { CommandSpec } from './types.js';
import { resume } from './resume.js';
import { train } from './train.js';
import { doctor } from './doctor.js';

/** Every command of the CLI, in the order `--help` lists them. */
export const commands: readonly CommandSpec<any>[] = [train, resume, doctor];
