import { createInterface } from 'node:readline/promises';
import { UserError } from './errors.js';

/**
 * What a plain-text command reads and writes, so tests can pass their own: output, errors, whether a
 * person is at a terminal (to ask before destructive actions), a question, and the working folder.
 */
export interface ConsoleIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly isTTY: boolean;
  /** Asks a question on the terminal and returns the typed line. */
  readonly ask: (question: string) => Promise<string>;
  readonly cwd: string;
}

export function defaultConsoleIo(): ConsoleIo {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    isTTY: Boolean(process.stdin.isTTY && process.stdout.isTTY),
    ask: async (question) => {
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
    cwd: process.cwd(),
  };
}

/**
 * Asks before a destructive action: true to go ahead. `yes` skips the question; without a terminal
 * there is nobody to ask, so it refuses with `refused` (a UserError saying to pass --yes).
 */
export async function confirm(io: ConsoleIo, yes: boolean | undefined, question: string, refused: string): Promise<boolean> {
  if (yes) return true;
  if (!io.isTTY) throw new UserError(refused);
  const answer = (await io.ask(question)).trim().toLowerCase();
  return answer === 'y' || answer === 'yes';
}
