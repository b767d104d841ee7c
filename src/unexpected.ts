import { join } from 'node:path';
import { ensurePrivateDir, stateDir, writeNewPrivateFile } from './util/private-dir.js';

/**
 * Unexpected errors print one short line plus where the full stack trace was written, so a user can
 * attach it to a bug report without a wall of text in their terminal. The log goes to the private
 * per-user state folder, created exclusively and never through a symlink: not the shared temp
 * folder, where another user could have made the folder first or planted a link to overwrite one of
 * your files. When that folder cannot be used, the trace is printed instead.
 */
export function reportUnexpected(err: unknown): number {
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  // One line: the message's first line, without its own full stop.
  const first = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim().replace(/\.$/, '');
  let where = '';
  try {
    const dir = ensurePrivateDir(stateDir());
    const file = join(dir, `crash-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.log`);
    writeNewPrivateFile(file, `${text}\n`);
    where = ` The full stack trace is in ${file}.`;
  } catch (problem) {
    where = ` (No crash log written: ${(problem as Error).message}.)\n${text}`;
  }
  process.stderr.write(`resnet-tutor: unexpected error: ${first}.${where}\n`);
  return 1;
}
