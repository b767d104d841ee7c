import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli, tempDir } from '../helpers/cli.js';
import { writeFixtureRun } from '../helpers/run-fixture.js';

/**
 * The places runs and progress live, damaged: a --run-dir that is a file or /proc, a config folder
 * that is a file, a progress.json that is a folder. Each command answers within a bound with one
 * `resnet-tutor:` paragraph (exit 1) or a correct answer (exit 0), never an unexpected error, and
 * changes nothing that was there. (damaged-fuzz.test.ts damages the files inside a run folder.)
 */
beforeAll(() => ensureBuilt());

const RUN_COMMANDS: string[][] = [
  ['runs'],
  ['report', 'r'],
  ['watch', 'r'],
  ['watch'],
  ['resume', 'r'],
  ['probe', 'lesion', 'r'],
  ['train', '--steps', '1', '--backend', 'cpu'],
  ['train', '--steps', '1', '--backend', 'cpu', '--name', 'r', '--resume-if-exists'],
];

function clearAnswer(what: string, r: ReturnType<typeof runCli>, expectMessage?: RegExp): void {
  expect(r.code, `${what} did not finish in time`).not.toBeNull();
  expect(r.stderr, what).not.toMatch(/unexpected error/);
  expect(r.stderr, what).not.toMatch(/\n\s+at /);
  expect([0, 1], `${what}: ${r.stderr}`).toContain(r.code);
  if (r.code === 1) {
    const lines = r.stderr.trim().split('\n');
    expect(lines, `${what}: ${r.stderr}`).toHaveLength(1);
    expect(lines[0], what).toMatch(/^resnet-tutor: /);
    if (expectMessage) expect(lines[0], what).toMatch(expectMessage);
  }
}

describe('a --run-dir that is not a folder of runs', () => {
  it.each(RUN_COMMANDS)('%s ... --run-dir <a file>: exit 1 saying it is a file; the file is untouched', (...cmd) => {
    const file = join(tempDir('rt-places-'), 'not-a-folder');
    writeFileSync(file, 'precious\n');
    const r = runCli([...cmd, '--run-dir', file], { timeoutMs: 60_000 });
    clearAnswer(cmd.join(' '), r, /is a file/);
    expect(r.code).toBe(1);
    expect(readFileSync(file, 'utf8')).toBe('precious\n');
  });

  it.each(RUN_COMMANDS)('%s ... --run-dir /proc: a clear answer, nothing written', (...cmd) => {
    const r = runCli([...cmd, '--run-dir', '/proc'], { timeoutMs: 60_000 });
    clearAnswer(cmd.join(' '), r);
    expect(readdirSync('/proc').some((n) => n === 'r' || n.startsWith('.tmp-run-'))).toBe(false);
  });
});

describe('the lesson progress folder', () => {
  const LESSON_COMMANDS = [['lessons'], ['lessons', '--json'], ['lessons', '--reset', '--yes']];

  it.each(LESSON_COMMANDS)('%s with a config folder that is a file: exit 1 naming it; the file is untouched', (...cmd) => {
    const file = join(tempDir('rt-places-'), 'config');
    writeFileSync(file, 'precious\n');
    const r = runCli(cmd, { env: { RESNET_TUTOR_CONFIG_DIR: file }, timeoutMs: 60_000 });
    clearAnswer(
      cmd.join(' '),
      r,
      new RegExp(`Lesson progress cannot be kept: ${file} \\(the folder it belongs in\\) is a file, not a folder\\.`),
    );
    expect(r.code).toBe(1);
    expect(readFileSync(file, 'utf8')).toBe('precious\n');
  });

  it.each(LESSON_COMMANDS)('%s with a progress.json that is a folder: exit 1 naming it; the folder is kept', (...cmd) => {
    const dir = tempDir('rt-places-');
    mkdirSync(join(dir, 'progress.json'));
    writeFileSync(join(dir, 'progress.json', 'inside'), 'x');
    const r = runCli(cmd, { env: { RESNET_TUTOR_CONFIG_DIR: dir }, timeoutMs: 60_000 });
    clearAnswer(cmd.join(' '), r, /Lesson progress cannot be kept: .*progress\.json is a folder, not a file\./);
    expect(r.code).toBe(1);
    expect(statSync(join(dir, 'progress.json')).isDirectory()).toBe(true);
    expect(readFileSync(join(dir, 'progress.json', 'inside'), 'utf8')).toBe('x');
  });

  it('lessons with wrong-typed records lists what it can and leaves the file as it was (no write, no drop)', () => {
    const dir = tempDir('rt-places-');
    const text = JSON.stringify({ format: 1, lessons: { 'residual-blocks': { step: '3', completed: 'yes' }, ensembles: 7 } });
    writeFileSync(join(dir, 'progress.json'), text);
    const r = runCli(['lessons'], { env: { RESNET_TUTOR_CONFIG_DIR: dir }, timeoutMs: 60_000 });
    clearAnswer('lessons', r);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'progress.json'), 'utf8')).toBe(text);
  });
});

describe('a run folder found by id that is damaged', () => {
  it('watch of a run whose run.json is a folder: exit 1, one paragraph', () => {
    const root = tempDir('rt-places-');
    const path = writeFixtureRun(root, 'r', { lines: 2 });
    const rj = join(path, 'run.json');
    rmSync(rj);
    mkdirSync(rj);
    clearAnswer('watch', runCli(['watch', path, '--run-dir', root]));
  });
});
