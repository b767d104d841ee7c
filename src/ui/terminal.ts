/**
 * What the terminal can show. Colour follows NO_COLOR and --no-color; box-drawing and block glyphs
 * need a UTF-8 locale (otherwise ASCII); TERM=dumb, a non-TTY stdout or a CI job gets the headless lines.
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
  const color = interactive && !noColorFlag && !(env.NO_COLOR !== undefined && env.NO_COLOR !== '');
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
  // An unset locale in an SSH session usually still renders UTF-8; only an explicit non-UTF-8 one
  // (C, POSIX, latin1) means the glyphs would come out as garbage.
  const unicode = locale === '' ? true : /utf-?8/i.test(locale);
  return { interactive, color, unicode };
}

const ASCII: Readonly<Record<string, string>> = {
  '─': '-',
  '│': '|',
  '┤': '|',
  '├': '|',
  '┼': '+',
  '╭': '+',
  '╮': '+',
  '╰': '+',
  '╯': '+',
  '╶': '-',
  '╴': '-',
  '·': '.',
  '█': '#',
  '░': '.',
  '▏': '|',
  '…': '...',
  '✓': 'v',
  '✗': 'x',
  '▸': '>',
  '—': '-',
  '×': 'x',
  '≈': '~',
  '↑': '^',
  '↓': 'v',
  '⏸': '||',
  '←': '<-',
  '→': '->',
  '•': '*',
  '›': '>',
  '▁': '_',
};

/** Replaces the glyphs this program draws with ASCII look-alikes, for non-UTF-8 terminals. */
export function toAscii(text: string): string {
  let out = '';
  for (const ch of text) out += ASCII[ch] ?? (ch.charCodeAt(0) > 126 ? '?' : ch);
  return out;
}
