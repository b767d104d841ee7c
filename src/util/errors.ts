/**
 * A mistake the user can fix (bad flag, bad file, unknown run). The CLI prints `message` as one
 * paragraph, without a stack trace, and exits 1. Say what was wrong, what was expected, and the
 * command or flag that fixes it.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(message: string) {
    super(message);
  }
}

/** Exit codes of the command-line contract (DESIGN.md). */
export const EXIT = {
  ok: 0,
  userError: 1,
  diverged: 2,
  interrupted: 130,
} as const;
