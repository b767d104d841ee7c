/**
 * The one colour and charset policy of every command (the dashboards, the tutor, `report`, `probe`,
 * `lessons`): whether output may carry ANSI colours, and whether it may use non-ASCII glyphs (box
 * drawing, blocks, math symbols). Every caller asks here; nothing else reads NO_COLOR or the locale.
 */

export type Charset = 'unicode' | 'ascii';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Colour, decided in this order (Node's own order for FORCE_COLOR and NO_COLOR):
 * 1. `--no-color` (`flag` false) turns colour off.
 * 2. FORCE_COLOR turns it on ('', '1', '2', '3', 'true') or off ('0', 'false'), even in a pipe.
 * 3. NO_COLOR, set and not empty, turns it off (https://no-color.org).
 * 4. Otherwise: colour on a terminal (not TERM=dumb), none in a pipe or a log file.
 */
export function colorAllowed(stream: { readonly isTTY?: boolean } = process.stdout, env: Env = process.env, flag?: boolean): boolean {
  if (flag === false) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    const f = force.trim().toLowerCase();
    if (f === '0' || f === 'false') return false;
    if (f === '' || f === 'true' || /^[1-3]$/.test(f)) return true;
  }
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/**
 * Glyphs: ASCII unless the locale says UTF-8. The locale is the first set of LC_ALL, LC_CTYPE, LANG
 * (POSIX order), so LC_ALL=C means ASCII whatever LANG says. No locale at all (common over SSH,
 * where the terminal still renders UTF-8) and Windows consoles get Unicode. RESNET_TUTOR_CHARSET
 * (`ascii` or `unicode`) overrides.
 */
export function charsetFor(env: Env = process.env, platform: string = process.platform): Charset {
  const forced = env.RESNET_TUTOR_CHARSET?.toLowerCase();
  if (forced === 'ascii' || forced === 'unicode') return forced;
  if (platform === 'win32') return 'unicode';
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
  if (locale === '') return 'unicode';
  return /utf-?8/i.test(locale) ? 'unicode' : 'ascii';
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
  '–': '-',
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
  '²': '^2',
  '√': 'sqrt',
  '±': '+-',
  '≤': '<=',
  '≥': '>=',
  '’': "'",
  '‘': "'",
  '“': '"',
  '”': '"',
};

/** Replaces the glyphs this program draws with ASCII look-alikes ('?' for any other non-ASCII character). */
export function toAscii(text: string): string {
  let out = '';
  for (const ch of text) out += ASCII[ch] ?? (ch.charCodeAt(0) > 126 ? '?' : ch);
  return out;
}

/**
 * `text` for the charset: unchanged for Unicode; for ASCII every line through `toAscii`, cut back to
 * `width` columns when a look-alike made it longer ("..." for "…").
 */
export function forCharset(text: string, charset: Charset, width = Infinity): string {
  if (charset === 'unicode') return text;
  return text
    .split('\n')
    .map((line) => {
      const a = toAscii(line);
      return visibleLength(a) <= width || visibleLength(line) > width ? a : clipVisible(a, width);
    })
    .join('\n');
}

const ANSI = /\x1b\[[0-9;]*m/g;

function visibleLength(s: string): number {
  return s.replace(ANSI, '').length;
}

/** Cuts to `width` visible columns, keeping colour codes (and closing them). */
function clipVisible(s: string, width: number): string {
  let out = '';
  let seen = 0;
  const parts = s.split(/(\x1b\[[0-9;]*m)/);
  for (const part of parts) {
    if (part.startsWith('\x1b[')) {
      out += part;
      continue;
    }
    const room = width - seen;
    if (room <= 0) continue;
    out += part.slice(0, room);
    seen += Math.min(room, part.length);
  }
  return /\x1b\[/.test(out) ? `${out}\x1b[0m` : out;
}
