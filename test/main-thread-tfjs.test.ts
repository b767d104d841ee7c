/**
 * The main thread never loads TensorFlow.js: the CLI starts fast, and the native backend, which can
 * load in one thread only, stays free for the worker. Each command runs in a real process with a
 * preload that records, per thread, which @tensorflow files were loaded (test/helpers/record-tfjs-loads.mjs).
 * The lint rule in eslint.config.js stops direct imports; this catches the indirect ones.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt, tempDir, waitFor } from './helpers/cli.js';
import { runRecordingTfjs as run, TFJS_LOADS_PRELOAD as PRELOAD, tfjsLoads as loads } from './helpers/tfjs-loads.js';

const LESSONS = resolve(import.meta.dirname, 'fixtures/tutor-e2e');

describe('the main thread never loads tfjs', () => {
  it('--help', () => {
    const r = run(['--help']);
    expect(r.code).toBe(0);
    expect(r.loads).toEqual({ main: [], workers: [] });
  });

  it('train (a tiny run to the end): tfjs loads in the engine worker only', () => {
    const root = tempDir();
    const r = run([
      'train',
      '--steps',
      '10',
      '--train-limit',
      '64',
      '--val-limit',
      '16',
      '--depth',
      '2',
      '--width',
      '8',
      '--backend',
      'wasm',
      '--run-dir',
      root,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.loads.main).toEqual([]);
    // The control: the preload does see tfjs where it is loaded.
    expect(r.loads.workers.flat()).toEqual(expect.arrayContaining([expect.stringMatching(/@tensorflow[/\\]tfjs-core[/\\]/)]));
  });

  it('doctor: the backends load in its worker only', () => {
    const r = run(['doctor', '--json']);
    expect(r.code).toBe(0);
    // The report came back whole from the worker, with backends that loaded there.
    const report = JSON.parse(r.stdout) as { backends: { name: string; loads: string }[] };
    expect(report.backends.find((b) => b.name === 'wasm')?.loads).toBe('yes');
    expect(r.loads.main).toEqual([]);
    // The control: the preload does see tfjs where it is loaded.
    expect(r.loads.workers.flat()).toEqual(expect.arrayContaining([expect.stringMatching(/@tensorflow[/\\]tfjs-core[/\\]/)]));
  });

  const hasTmux = spawnSync('tmux', ['-V']).status === 0;
  const socket = ['-L', `rt-tfjs-${process.pid}`];
  afterAll(() => {
    if (hasTmux) spawnSync('tmux', [...socket, 'kill-server']);
  });

  it.skipIf(!hasTmux)(
    'learn (in a terminal, through an experiment that trains)',
    async () => {
      ensureBuilt();
      const root = tempDir();
      const dir = tempDir('rt-tfjs-loads-');
      const done = join(root, 'exit-code');
      const session = `rt-tfjs-${process.pid}`;
      const tmux = (...args: string[]) => execFileSync('tmux', [...socket, ...args], { encoding: 'utf8' });
      const screen = () => tmux('capture-pane', '-t', session, '-p');
      // CI=false: under CI=true the program (like Ink) would fall back to plain lines.
      const env = `CI=false RT_TFJS_LOADS_DIR=${dir} RESNET_TUTOR_CONFIG_DIR=${join(root, 'config')} XDG_DATA_HOME=${join(root, 'data')} LANG=C.UTF-8`;
      const cmd = `${env} ${process.execPath} --import ${PRELOAD} ${CLI} learn 1 --lessons ${LESSONS} --backend wasm --run-dir ${join(root, 'runs')}; echo $? > ${done}; sleep 30`;
      tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', cmd);
      await waitFor(() => screen().includes('Pick a.'), 60_000, 'the first question');
      tmux('send-keys', '-t', session, 'a', 'Enter');
      await waitFor(() => screen().includes('Right.'), 10_000, 'the answer graded');
      tmux('send-keys', '-t', session, 'Enter');
      await waitFor(() => screen().includes('step 2/6 · experiment'), 10_000, 'the training experiment');
      tmux('send-keys', '-t', session, 'Enter');
      await waitFor(() => screen().includes('Measured (final train loss)'), 240_000, 'the training experiment to end');
      tmux('send-keys', '-t', session, 'q');
      await waitFor(() => screen().includes('Enter open'), 10_000, 'the menu');
      tmux('send-keys', '-t', session, 'q');
      await waitFor(() => existsSync(done) && readFileSync(done, 'utf8').trim() !== '', 30_000, 'exit');
      expect(readFileSync(done, 'utf8').trim()).toBe('0');
      const l = loads(dir);
      expect(l.main).toEqual([]);
      expect(l.workers.flat()).toEqual(expect.arrayContaining([expect.stringMatching(/@tensorflow[/\\]tfjs-core[/\\]/)]));
    },
    300_000,
  );
});
