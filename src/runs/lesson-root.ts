import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/**
 * Where the tutor keeps the runs of lesson experiments: the per-user data folder
 * (`$XDG_DATA_HOME/resnet-tutor/lesson-runs`, by default `~/.local/share/resnet-tutor/lesson-runs`),
 * not the folder the student happened to start the tutor in. `resnet-tutor runs --lessons` lists
 * them, and `report`, `resume` and `probe` find a lesson run by id when it is not in --run-dir.
 */
export function lessonRunsDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_DATA_HOME;
  // The XDG spec: a relative XDG_DATA_HOME is invalid and is ignored.
  const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.local', 'share');
  return join(base, 'resnet-tutor', 'lesson-runs');
}
