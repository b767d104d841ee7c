import type { CommandSpec } from './types.js';
import { resume } from './resume.js';
import { train } from './train.js';
import { compare } from './compare.js';
import { doctor } from './doctor.js';
import { probe } from './probe.js';
import { learn } from './learn.js';
import { lessons } from './lessons.js';
import { runs } from './runs.js';
import { report } from './report.js';
import { watch } from './watch.js';
import { config } from './config.js';
import { completion } from './completion.js';
import { gpu } from './gpu.js';

/** Every command of the CLI, in the order `--help` lists them. */
export const commands: readonly CommandSpec<any>[] = [
  learn,
  lessons,
  train,
  compare,
  resume,
  runs,
  report,
  watch,
  probe,
  doctor,
  gpu,
  config,
  completion,
];
