import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Unexpected errors print one short line plus where the full stack trace was written, so a user can
 * attach it to a bug report without a wall of text in their terminal.
 */
export function reportUnexpected(err: unknown): number {
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  // One line: the message's first line, without its own full stop.
  const first = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim().replace(/\.$/, '');
  let where = '';
  try {
    const dir = join(tmpdir(), 'resnet-tutor');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `crash-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
    writeFileSync(file, `${text}\n`);
    where = ` The full stack trace is in ${file}.`;
  } catch {
    where = `\n${text}`;
  }
  process.stderr.write(`resnet-tutor: unexpected error: ${first}.${where}\n`);
  return 1;
}
