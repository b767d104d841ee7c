import { clipText } from '../../util/format.js';
import { toAscii } from '../terminal.js';

/**
 * One line of the tutor as the terminal can show it, at most `width` columns: as is, or (without a
 * UTF-8 locale) in ASCII look-alikes, converted before it is clipped so the clipping mark is ASCII
 * too and a glyph that becomes two characters (→ to ->) never pushes the line past the edge.
 */
export function fitLine(text: string, width: number, unicode: boolean): string {
  if (unicode) return clipText(text, width);
  const ascii = asciiText(text);
  if (ascii.length <= width) return ascii;
  return width > 3 ? `${ascii.slice(0, width - 3)}...` : ascii.slice(0, width);
}

/** Superscript powers the tutor's own labels use ("E[h²]"), as ASCII powers; then toAscii. */
const POWERS: Readonly<Record<string, string>> = { '²': '^2', '³': '^3', '⁴': '^4', '…': '...' };

export function asciiText(text: string): string {
  return toAscii(text.replace(/[²³⁴…]/g, (c) => POWERS[c]!));
}
