import { charsetFor, colorAllowed } from '../util/output-style.js';

/**
 * What the terminal can show. Colour and glyphs follow the one policy of every command
 * (output-style: --no-color, FORCE_COLOR, NO_COLOR; ASCII outside UTF-8 locales); TERM=dumb, a
 * non-TTY stdout or a CI job gets the headless lines.
 */
export interface TerminalCaps {
  readonly interactive: boolean;
  readonly color: boolean;
  readonly unicode: boolean;
}

export function detectTerminal(
  stdout: { readonly isTTY?: boolean } = process.stdout,
  stdin: { readonly isTTY?: boolean } = process.stdin,
  env: Readonly<Record<string, string | undefined>> = process.env,
  noColorFlag = false,
): TerminalCaps {
  // Ink draws only the last frame when CI or CONTINUOUS_INTEGRATION is set (is-in-ci), so a CI job
  // gets the headless lines even on a pseudo-terminal.
  const inCi = ['CI', 'CONTINUOUS_INTEGRATION'].some((k) => k in env && env[k] !== '0' && env[k] !== 'false');
  const interactive = stdout.isTTY === true && stdin.isTTY === true && env.TERM !== 'dumb' && !inCi;
  const color = interactive && colorAllowed(stdout, env, noColorFlag ? false : undefined);
  const unicode = charsetFor(env) === 'unicode';
  return { interactive, color, unicode };
}

/** The ASCII look-alikes of the glyphs this program draws (the one table, in output-style). */
export { toAscii } from '../util/output-style.js';
