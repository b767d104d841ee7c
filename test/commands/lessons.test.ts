import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProgressStore } from '../../src/stores/progress.js';
import { runCli, tempDir } from '../helpers/cli.js';

const root = resolve(import.meta.dirname, '..', '..');
let configDir: string;

/** Runs `resnet-tutor lessons ...` from the repository root with its own progress folder and locale. */
function lessons(args: string[], locale = 'C.UTF-8') {
  return runCli(['lessons', ...args], {
    cwd: root,
    env: { RESNET_TUTOR_CONFIG_DIR: configDir, LANG: locale, LC_ALL: '', LC_CTYPE: '', RESNET_TUTOR_CHARSET: '' },
  });
}

beforeEach(() => {
  configDir = tempDir('rt-lessons-cli-');
});
afterEach(() => {
  rmSync(configDir, { recursive: true, force: true });
});

describe('resnet-tutor lessons', () => {
  it('lists the eight lessons with progress marks', () => {
    const store = new ProgressStore({ cwd: configDir });
    store.complete('deep-networks', 17);
    store.reachStep('shattered-gradients', 3);
    const { code, stdout, stderr } = lessons([]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const rows = stdout.split('\n').filter((l) => /^ {2}\S {2}/.test(l));
    expect(rows).toHaveLength(8);
    expect(rows[0]).toMatch(/^ {2}✓ {2}1 {2}Deep networks, and why more layers stop helping +15 min {2}done$/);
    expect(rows[1]).toMatch(/^ {2}▸ {2}2 {2}Shattered gradients +15 min {2}step 4\/\d+$/);
    expect(rows[2]).toMatch(/^ {2}· {2}3 {2}Residual connections and residual blocks +20 min$/);
    expect(rows[7]).toMatch(/^ {2}· {2}8 {2}Common residual architectures +25 min$/);
    expect(stdout).toContain('Continue with `resnet-tutor learn 2`.');
    expect(stdout).not.toMatch(/\u001b\[/);
  });

  it('falls back to ASCII marks when the locale is not UTF-8', () => {
    new ProgressStore({ cwd: configDir }).complete('deep-networks');
    const { code, stdout } = lessons([], 'C');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ {2}x {2}1 {2}Deep networks/m);
    expect(stdout).toMatch(/^ {2}\. {2}2 {2}Shattered gradients/m);
    expect(stdout).toMatch(/^[\x00-\x7f]*$/);
  });

  it('--check passes on the shipped lessons', () => {
    const { code, stdout } = lessons(['--check']);
    expect(code).toBe(0);
    expect(stdout).toContain('lessons/02-shattered-gradients.md: ok (');
    // Warnings only: costs over the 120 s guideline are the true totals of multi-seed experiments.
    expect(stdout.trim().split('\n').at(-1)).toMatch(/^Checked 8 lesson files: (0 errors, \d+ warnings|no problems)\.$/);
  });

  it('--check exits 1 and names file:line on a broken fixture folder', () => {
    const { code, stdout } = lessons(['--check', 'test/fixtures/lessons']);
    expect(code).toBe(1);
    expect(stdout).toContain('test/fixtures/lessons/01-tiny.md: ok');
    expect(stdout).toContain('test/fixtures/lessons/03-unknown-step.md:10: unknown step kind "quiz"');
    expect(stdout).toContain(
      'test/fixtures/lessons/05-answer-not-option.md:18: question has no answer among its options (answer "e", options a-d)',
    );
    expect(stdout).toContain('test/fixtures/lessons/06-bad-config.md:14: `depth` must be an integer at least 1');
    expect(stdout.trim().split('\n').at(-1)).toBe('Checked 8 lesson files: 16 errors in 7 files, 0 warnings.');
  });

  it('--check takes one file too, and --json gives the problems as data', () => {
    expect(lessons(['--check', 'test/fixtures/lessons/01-tiny.md']).code).toBe(0);
    const { code, stdout } = lessons(['--check', 'test/fixtures/lessons/04-no-answer.md', '--json']);
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toEqual({
      ok: false,
      files: ['test/fixtures/lessons/04-no-answer.md'],
      problems: [
        {
          file: 'test/fixtures/lessons/04-no-answer.md',
          line: 10,
          severity: 'error',
          message: 'question has no answer: add `answer: <label>`',
        },
      ],
    });
  });

  it('--lessons lists another folder and says how many files it left out', () => {
    const { code, stdout, stderr } = lessons(['--lessons', 'test/fixtures/lessons']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ {2}· {2}1 {2}A tiny lesson +5 min$/m);
    expect(stderr).toBe('7 lesson files have problems and are not listed; run `resnet-tutor lessons --check` to see them.\n');
    const missing = lessons(['--lessons', 'no/such/folder']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      'resnet-tutor: No lessons folder at no/such/folder. Pass the folder that holds the NN-slug.md lesson files with --lessons DIR.\n',
    );
  });

  it('--json lists lessons with their status', () => {
    new ProgressStore({ cwd: configDir }).reachStep('ensembles', 2);
    const { code, stdout } = lessons(['--json']);
    expect(code).toBe(0);
    const data = JSON.parse(stdout) as {
      progressFile: string;
      lessons: { id: string; questions: number; status: { state: string; step: number } }[];
    };
    expect(data.progressFile).toBe(join(configDir, 'progress.json'));
    expect(data.lessons.map((l) => l.id)).toHaveLength(8);
    expect(data.lessons[3]).toMatchObject({ id: 'ensembles', questions: 5, status: { state: 'in-progress', step: 3 } });
  });

  it('--reset refuses without --yes when not on a terminal, and clears with it', () => {
    new ProgressStore({ cwd: configDir }).complete('deep-networks');
    const refused = lessons(['--reset']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Refusing to reset lesson progress without confirmation');
    expect(refused.stderr).toContain('`resnet-tutor lessons --reset --yes`');
    expect(new ProgressStore({ cwd: configDir }).lesson('deep-networks').completed).toBe(true);

    const done = lessons(['--reset', '--yes']);
    expect(done.code).toBe(0);
    expect(done.stdout).toBe(`Lesson progress cleared (${join(configDir, 'progress.json')}).\n`);
    expect(new ProgressStore({ cwd: configDir }).all()).toEqual({});
  });

  it('survives a corrupt progress file, saying where the old one went', () => {
    writeFileSync(join(configDir, 'progress.json'), 'not json at all');
    const { code, stdout, stderr } = lessons([]);
    expect(code).toBe(0);
    expect(stdout).toContain('Start with `resnet-tutor learn 1`.');
    expect(stderr).toMatch(
      /^The progress file .*progress\.json could not be read \(not valid JSON: .*\)\. It was moved to .*progress\.json\.corrupt-.*; progress starts fresh\.\n$/,
    );
    const backup = stderr.match(/moved to (\S+);/)![1]!;
    expect(readFileSync(backup, 'utf8')).toBe('not json at all');
  });

  it('--help shows the options and examples', () => {
    const { code, stdout } = runCli(['lessons', '--help'], { cwd: root });
    expect(code).toBe(0);
    for (const flag of ['--check', '--lessons', '--reset', '--yes', '--json']) expect(stdout).toContain(flag);
  });
});
