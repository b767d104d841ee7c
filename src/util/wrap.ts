/**
 * Word wrapping for plain-text output (doctor, report, the dashboard and tutor): continuation lines
 * get `indent`, and a command in backticks stays on one line, so it can be copied. Words longer than
 * the width are left whole; callers that must never overflow clip the lines.
 */
export function wrapWords(text: string, width: number, firstPrefix = '', indent = ''): string[] {
  const lines: string[] = [];
  let line = firstPrefix;
  let empty = true;
  for (const word of text.match(/`[^`]*`\S*|\S+/g) ?? []) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent + word;
    } else {
      line += (empty ? '' : ' ') + word;
    }
    empty = false;
  }
  lines.push(line);
  return lines;
}
