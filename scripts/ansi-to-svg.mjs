#!/usr/bin/env node
// Renders a terminal capture with ANSI colours (`tmux capture-pane -e -p`) as an SVG, for the README's
// screenshots: `node scripts/ansi-to-svg.mjs capture.txt > shot.svg && convert shot.svg shot.png`.
import { readFileSync } from 'node:fs';
import process from 'node:process';

const COLORS = {
  30: '#1e1e1e', 31: '#e06c75', 32: '#98c379', 33: '#e5c07b', 34: '#61afef', 35: '#c678dd', 36: '#56b6c2', 37: '#dcdfe4',
  90: '#7f848e', 91: '#e06c75', 92: '#98c379', 93: '#e5c07b', 94: '#61afef', 95: '#c678dd', 96: '#56b6c2', 97: '#ffffff',
};
const FG = '#dcdfe4';
const BG = '#1e2127';
const CW = 8.4;
const LH = 17;

const text = readFileSync(process.argv[2], 'utf8').replace(/\n+$/, '');
const lines = text.split('\n');
const cols = Math.max(...lines.map((l) => [...l.replace(/\x1b\[[0-9;]*m/g, '')].length));
const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
let out = '';
lines.forEach((line, row) => {
  let state = { fg: FG, bold: false, dim: false, inverse: false };
  let col = 0;
  const parts = line.split(/(\x1b\[[0-9;]*m)/);
  for (const part of parts) {
    const m = /^\x1b\[([0-9;]*)m$/.exec(part);
    if (m) {
      for (const code of (m[1] || '0').split(';').map(Number)) {
        if (code === 0) state = { fg: FG, bold: false, dim: false, inverse: false };
        else if (code === 1) state.bold = true;
        else if (code === 2) state.dim = true;
        else if (code === 7) state.inverse = true;
        else if (code === 22) state = { ...state, bold: false, dim: false };
        else if (code === 27) state.inverse = false;
        else if (code === 39) state.fg = FG;
        else if (COLORS[code]) state.fg = COLORS[code];
      }
      continue;
    }
    if (!part) continue;
    const chars = [...part];
    const x = 10 + col * CW;
    const y = 10 + row * LH;
    if (state.inverse) out += `<rect x="${x}" y="${y}" width="${chars.length * CW}" height="${LH}" fill="${state.fg}"/>`;
    const fill = state.inverse ? BG : state.dim ? '#7f848e' : state.fg;
    out += `<text x="${x}" y="${y + 13}" fill="${fill}"${state.bold ? ' font-weight="bold"' : ''} textLength="${chars.length * CW}" lengthAdjust="spacingAndGlyphs">${esc(part)}</text>`;
    col += chars.length;
  }
});
const w = Math.ceil(20 + cols * CW);
const h = 20 + lines.length * LH;
process.stdout.write(
  `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="DejaVu Sans Mono" font-size="14" xml:space="preserve"><rect width="100%" height="100%" fill="${BG}" rx="6"/>${out}</svg>\n`,
);
