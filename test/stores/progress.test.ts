import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSavedProgress } from '../../src/stores/progress-file.js';
import { lessonStatus, ProgressStore } from '../../src/stores/progress.js';

let cwd: string;
const clock = () => new Date('2026-11-28T12:00:00.000Z');

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'rt-progress-'));
});
afterEach(() => {
  rmSync(cwd, { recursive: true, force: true });
});

describe('ProgressStore', () => {
  it('starts empty without writing a file', () => {
    const store = new ProgressStore({ cwd });
    expect(store.path).toBe(join(cwd, 'progress.json'));
    expect(store.recovered).toBeNull();
    expect(store.all()).toEqual({});
    expect(store.lesson('residual-blocks')).toMatchObject({ step: 0, completed: false, answers: {}, experiments: {} });
    expect(existsSync(store.path)).toBe(false);
  });

  it('records steps, answers and experiment results, and a new instance reads them back', () => {
    const store = new ProgressStore({ cwd, now: clock });
    store.reachStep('residual-blocks', 4);
    store.reachStep('residual-blocks', 2); // only ever forward
    expect(store.answer('residual-blocks', 'step-3', 'a', false)).toMatchObject({ correct: false, attempts: 1, firstTry: false });
    expect(store.answer('residual-blocks', 'step-3', 'b', true)).toMatchObject({ correct: true, attempts: 2, firstTry: false, given: 'b' });
    store.answer('residual-blocks', 'step-7', '5', true);
    store.recordExperiment(
      'residual-blocks',
      'shortcut-train',
      { 'arch plain': 2.3, 'arch residual': Number.NaN, 'arch residual-bn': 0.95 },
      { runIds: ['r1', 'r2', 'r3'] },
    );
    store.complete('deep-networks', 17);

    const again = new ProgressStore({ cwd });
    const p = again.lesson('residual-blocks');
    expect(p.step).toBe(4);
    expect(p.completed).toBe(false);
    expect(p.answers['step-3']).toEqual({ correct: true, attempts: 2, firstTry: false, given: 'b', at: '2026-11-28T12:00:00.000Z' });
    expect(p.answers['step-7']).toMatchObject({ correct: true, attempts: 1, firstTry: true });
    // A diverged run measures NaN: it is left out rather than stored as null.
    expect(p.experiments['shortcut-train']).toEqual({
      measured: { 'arch plain': 2.3, 'arch residual-bn': 0.95 },
      runIds: ['r1', 'r2', 'r3'],
      full: false,
      at: '2026-11-28T12:00:00.000Z',
    });
    expect(again.lesson('deep-networks')).toMatchObject({ completed: true, step: 17 });
    expect(JSON.parse(readFileSync(again.path, 'utf8'))).toMatchObject({ format: 1, lessons: { 'deep-networks': { completed: true } } });
  });

  it('reports each lesson as done, in progress at step n of m, or not started', () => {
    const store = new ProgressStore({ cwd });
    store.reachStep('a', 3);
    store.complete('b');
    store.answer('c', 'step-1', 'a', true);
    expect(lessonStatus(15, store.all().a)).toEqual({ state: 'in-progress', step: 4, of: 15 });
    expect(lessonStatus(15, store.all().b)).toEqual({ state: 'done', step: 15, of: 15 });
    expect(lessonStatus(15, store.all().c)).toEqual({ state: 'in-progress', step: 1, of: 15 });
    expect(lessonStatus(15, store.all().d)).toEqual({ state: 'not-started', step: 0, of: 15 });
    // A lesson that got shorter since: never past its last step.
    store.reachStep('a', 40);
    expect(lessonStatus(15, store.all().a)).toEqual({ state: 'in-progress', step: 15, of: 15 });
  });

  it('resets one lesson or everything', () => {
    const store = new ProgressStore({ cwd });
    store.reachStep('a', 1);
    store.reachStep('b', 2);
    store.resetLesson('a');
    expect(Object.keys(new ProgressStore({ cwd }).all())).toEqual(['b']);
    store.reset();
    expect(new ProgressStore({ cwd }).all()).toEqual({});
    expect(JSON.parse(readFileSync(store.path, 'utf8'))).toEqual({ format: 1, lessons: {} });
  });

  it('moves a corrupt file aside, says where, and starts fresh', () => {
    const path = join(cwd, 'progress.json');
    writeFileSync(path, '{"format": 1, "lessons": {"a": {"step": 3,');
    const store = new ProgressStore({ cwd, now: clock });
    const backup = join(cwd, 'progress.json.corrupt-2026-11-28T12-00-00-000Z');
    expect(store.recovered).toBe(
      `The progress file ${path} could not be read (not valid JSON: ${jsonError('{"format": 1, "lessons": {"a": {"step": 3,')}). It was moved to ${backup}; progress starts fresh.`,
    );
    expect(readFileSync(backup, 'utf8')).toBe('{"format": 1, "lessons": {"a": {"step": 3,');
    expect(existsSync(path)).toBe(false);
    expect(store.all()).toEqual({});
    store.reachStep('a', 1);
    expect(new ProgressStore({ cwd }).lesson('a').step).toBe(1);
    expect(new ProgressStore({ cwd }).recovered).toBeNull();
  });

  it('treats a file of the wrong shape or a newer format the same way, keeping every backup', () => {
    const path = join(cwd, 'progress.json');
    writeFileSync(path, '[1, 2, 3]');
    expect(new ProgressStore({ cwd, now: clock }).recovered).toMatch(
      /could not be read \(not a JSON object\)\. It was moved to .*corrupt-2026-11-28T12-00-00-000Z;/,
    );
    writeFileSync(path, '{"format": 9, "lessons": {}}');
    expect(new ProgressStore({ cwd, now: clock }).recovered).toMatch(
      /\(written by a newer resnet-tutor \(format 9\)\)\. It was moved to .*corrupt-2026-11-28T12-00-00-000Z-1;/,
    );
    writeFileSync(path, '{"format": 1, "lessons": "oops"}');
    expect(new ProgressStore({ cwd, now: clock }).recovered).toMatch(/`lessons` is not an object/);
    expect(
      readdirSync(cwd)
        .filter((n) => n.includes('.corrupt-'))
        .sort(),
    ).toHaveLength(3);
  });

  it('repairs damaged lesson records instead of failing', () => {
    writeFileSync(
      join(cwd, 'progress.json'),
      JSON.stringify({ format: 1, lessons: { a: { step: 'x', answers: [] }, b: 7, c: { step: 2, completed: true } } }),
    );
    const store = new ProgressStore({ cwd });
    expect(store.recovered).toBeNull();
    expect(store.all()).toEqual({
      a: { step: 0, completed: false, answers: {}, experiments: {}, updated: '' },
      c: { step: 2, completed: true, answers: {}, experiments: {}, updated: '' },
    });
  });

  // Modes are POSIX; Windows has no group/other bits to check.
  it.skipIf(process.platform === 'win32')('creates its folder 0700 and the file 0600, as the settings store does (store-file.ts)', () => {
    // A folder that is not there yet: conf alone would create it 0755 and the file 0644 (umask 022).
    const dir = join(cwd, 'config', 'resnet-tutor');
    const store = new ProgressStore({ cwd: dir });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(existsSync(store.path)).toBe(false);
    store.reachStep('a', 1);
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    // Every write replaces the file (conf's atomic rename): the new one is 0600 too.
    store.reachStep('a', 2);
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    expect(new ProgressStore({ cwd: dir }).lesson('a').step).toBe(2);
  });

  it('uses RESNET_TUTOR_CONFIG_DIR when no cwd is given', () => {
    const before = process.env.RESNET_TUTOR_CONFIG_DIR;
    process.env.RESNET_TUTOR_CONFIG_DIR = cwd;
    try {
      expect(new ProgressStore().path).toBe(join(cwd, 'progress.json'));
    } finally {
      if (before === undefined) delete process.env.RESNET_TUTOR_CONFIG_DIR;
      else process.env.RESNET_TUTOR_CONFIG_DIR = before;
    }
  });
});

function jsonError(text: string): string {
  try {
    JSON.parse(text);
    return '';
  } catch (err) {
    return (err as Error).message;
  }
}

describe('experiment records with measurements and a verdict', () => {
  it('keep them across a reopen, NaN (no number) included', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'rt-progress-v-'));
    const store = new ProgressStore({ cwd });
    const verdict = { outcome: 'undecided' as const, headline: 'Undecided: ...', details: ['d'], caveat: 'c' };
    const measurements = [
      { label: 'depth 2', value: 0.5, perSeed: [0.4, 0.6], unit: 'nats' },
      { label: 'depth 20', value: Number.NaN, perSeed: [1.2, Number.NaN], unit: 'nats' },
    ];
    store.recordExperiment('x', 'e', { 'depth 2': 0.5 }, { measurements, verdict, results: { kind: 'train', runs: [] } });
    const e = new ProgressStore({ cwd }).lesson('x').experiments.e!;
    expect(e.verdict).toEqual(verdict);
    expect(e.results).toEqual({ kind: 'train', runs: [] });
    expect(e.measurements![0]).toEqual(measurements[0]);
    expect(e.measurements![1]!.value).toBeNaN();
    expect(e.measurements![1]!.perSeed[0]).toBe(1.2);
    expect(e.measurements![1]!.perSeed[1]).toBeNaN();
  });
});

describe('readSavedProgress (the first screen, read without conf)', () => {
  it('reads what the store saved, as the store reads it (NaN restored, records repaired)', () => {
    const store = new ProgressStore({ cwd, now: clock });
    store.reachStep('a', 3);
    store.answer('a', 'step-2', 'b', true);
    const measurements = [{ label: 'depth 20', value: Number.NaN, perSeed: [Number.NaN], unit: 'nats' }];
    store.recordExperiment('a', 'e', {}, { measurements });
    const saved = readSavedProgress(cwd);
    expect(saved).toEqual(store.all());
    expect(saved.a!.experiments.e!.measurements![0]!.value).toBeNaN();
    expect(saved.a).toMatchObject({ step: 3, completed: false, answers: { 'step-2': { given: 'b', correct: true, attempts: 1 } } });
  });

  it('counts a missing, corrupt or foreign file as no progress, and leaves it for the store to report', () => {
    expect(readSavedProgress(cwd)).toEqual({});
    const path = join(cwd, 'progress.json');
    for (const text of ['{"format": 1, "lessons": {', '{"format": 9, "lessons": {"a": {"step": 3}}}', '[1]']) {
      writeFileSync(path, text);
      expect(readSavedProgress(cwd)).toEqual({});
      expect(readFileSync(path, 'utf8')).toBe(text);
    }
    expect(readdirSync(cwd)).toEqual(['progress.json']);
  });

  it('uses RESNET_TUTOR_CONFIG_DIR when no folder is given, as the store does', () => {
    new ProgressStore({ cwd }).reachStep('a', 1);
    const before = process.env.RESNET_TUTOR_CONFIG_DIR;
    process.env.RESNET_TUTOR_CONFIG_DIR = cwd;
    try {
      expect(readSavedProgress().a?.step).toBe(1);
    } finally {
      if (before === undefined) delete process.env.RESNET_TUTOR_CONFIG_DIR;
      else process.env.RESNET_TUTOR_CONFIG_DIR = before;
    }
  });
});
