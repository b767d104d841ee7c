import { describe, expect, it } from 'vitest';
import { detectTerminal, toAscii } from '../../src/ui/terminal.js';

const tty = { isTTY: true };

describe('terminal capabilities', () => {
  it('a TTY gets the dashboard; a pipe, TERM=dumb or a CI job gets lines', () => {
    expect(detectTerminal(tty, tty, { TERM: 'xterm-256color', LANG: 'en_US.UTF-8' }).interactive).toBe(true);
    expect(detectTerminal({ isTTY: false }, tty, {}).interactive).toBe(false);
    expect(detectTerminal(tty, tty, { TERM: 'dumb' }).interactive).toBe(false);
    expect(detectTerminal(tty, tty, { CI: 'true' }).interactive).toBe(false);
    expect(detectTerminal(tty, tty, { CI: 'false' }).interactive).toBe(true);
  });

  it('honours NO_COLOR and --no-color, and falls back to ASCII outside UTF-8 locales', () => {
    expect(detectTerminal(tty, tty, {}).color).toBe(true);
    expect(detectTerminal(tty, tty, { NO_COLOR: '1' }).color).toBe(false);
    expect(detectTerminal(tty, tty, {}, true).color).toBe(false);
    expect(detectTerminal(tty, tty, { LANG: 'C' }).unicode).toBe(false);
    expect(detectTerminal(tty, tty, { LC_ALL: 'en_GB.utf8' }).unicode).toBe(true);
    expect(toAscii('╭─╮ │ · █░ …')).toBe('+-+ | . #. ...');
  });
});
