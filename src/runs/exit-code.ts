import { EXIT } from '../util/errors.js';
import type { RunStatus } from '../contracts/run-folder.js';

/**
 * The exit code for runs that ended in these statuses: the one policy of `train`, `compare`,
 * `resume` (headless or with the dashboard) and `watch`. The worst outcome wins: a failure (1), then
 * a divergence (2), then an interruption. An interruption is 130, as for Ctrl-C, only when someone
 * asked for the stop (Ctrl-C, q, a signal); a run the program itself stopped because it could not go
 * on (a checkpoint that could not be written, headless) is a user error, 1: the error printed with it
 * says what to fix. A run still running has no code yet: null.
 */
export function runsExitCode(statuses: readonly RunStatus[], stopAsked: boolean): number | null {
  if (statuses.includes('running')) return null;
  if (statuses.includes('failed')) return EXIT.userError;
  if (statuses.includes('diverged')) return EXIT.diverged;
  if (statuses.includes('interrupted')) return stopAsked ? EXIT.interrupted : EXIT.userError;
  return EXIT.ok;
}
