import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readMetrics, readRunInfo } from '../../src/runs/run-dir.js';
import { ensureBuilt, runCli, startCli, tempDir, waitFor, waitForExit } from '../helpers/cli.js';

const TINY = [
  '--steps',
  '40',
  '--train-limit',
  '512',
  '--val-limit',
  '64',
  '--depth',
  '2',
  '--width',
  '16',
  '--batch-size',
  '16',
  '--backend',
  'wasm',
];

const onlyRun = (root: string) => {
  const ids = readdirSync(root).filter((n) => existsSync(join(root, n, 'run.json')));
  expect(ids).toHaveLength(1);
  return join(root, ids[0]!);
};

beforeAll(() => ensureBuilt());

describe('train (headless)', () => {
  it('writes the run directory contract and plain progress lines', () => {
    const root = tempDir();
    const r = runCli(['train', ...TINY, '--backend', 'auto', '--log-every', '10', '--checkpoint-every', '20', '--run-dir', root]);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    // Plain lines: no carriage returns or escape codes in logs.
    expect(r.stdout).not.toMatch(/[\r\u001b]/);
    // Here (no native build installed) auto falls back to wasm and says why it skipped the others.
    expect(r.stdout).toMatch(/backend wasm: computing on CPU/);
    expect(r.stdout).toMatch(/skipped node-gpu: not installed \(fix: run `resnet-tutor gpu setup`/);
    // 512 examples at batch 16 make 32 steps per epoch: the epoch end adds a line with validation.
    expect(r.stdout.match(/^step +\d+\/40 /gm)).toHaveLength(5);
    const run = onlyRun(root);
    const info = readRunInfo(run);
    expect(info.status).toBe('completed');
    expect(info.backend?.name).toBe('wasm');
    expect(info.backend?.attempts.map((a) => a.name)).toEqual(['node-gpu', 'webgpu', 'node', 'wasm']);
    expect(info.units).toEqual(['stem', 'block1', 'block2', 'head']);
    const lines = readMetrics(run);
    expect(lines.map((l) => l.step)).toEqual([10, 20, 30, 32, 40]);
    expect(lines[3]!.valAccuracy).toBeGreaterThan(0.2);
    for (const l of lines) {
      for (const key of ['step', 'epoch', 'loss', 'accuracy', 'lr', 'gradNorms', 'activationVariances', 'samplesPerSecond', 'time']) {
        expect(l).toHaveProperty(key);
      }
      expect(l.gradNorms).toHaveLength(4);
    }
    expect(lines[4]!.valAccuracy).toBeGreaterThan(0.3);
    // Every 20 steps and at the epoch end; --keep 3 keeps them all.
    expect(
      readdirSync(run)
        .filter((n) => n.startsWith('ckpt-'))
        .sort(),
    ).toEqual(['ckpt-20', 'ckpt-32', 'ckpt-40']);
  });

  it('--json prints one JSON object per line', () => {
    const root = tempDir();
    const r = runCli(['train', ...TINY, '--steps', '20', '--log-every', '10', '--json', '--run-dir', root]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const objs = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objs.filter((o) => typeof o.step === 'number' && 'loss' in o)).toHaveLength(2);
    expect(objs.some((o) => o.event === 'started')).toBe(true);
    expect(objs.at(-1)?.event).toBe('done');
    // Every line carries the run-folder format version (docs/run-folder.md), events as well as metrics.
    expect(objs.every((o) => o.formatVersion === 1)).toBe(true);
  });

  const badFlags: [string[], RegExp][] = [
    [['--depth', '0'], /--depth must be an integer at least 1 .*got "0"/],
    [['--dataset', 'imagenet'], /--dataset must be one of fashion-mnist, mnist, cifar10/],
    [['--lr', '-1'], /--lr must be a number greater than 0; got "-1"/],
    [['--width', '12.5'], /--width must be an integer/],
    [['--net', 'cnn', '--depth', '21'], /6n\+2/],
    [['--optimizer', 'rmsprop'], /--optimizer must be one of sgd, momentum, adam/],
    [['--net', 'cnn', '--dataset', 'synthetic-1d'], /--net cnn needs image data/],
    [['--backend', 'tpu'], /Invalid values/],
  ];
  for (const [flags, message] of badFlags) {
    it(`rejects ${flags.join(' ')} with exit 1, one message and nothing written`, () => {
      const root = join(tempDir(), 'runs');
      const r = runCli(['train', ...flags, '--run-dir', root]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(r.stdout).toBe('');
      expect(existsSync(root)).toBe(false);
    });
  }

  it('an unwritable run directory is a clear user error', () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, '');
    const r = runCli(['train', ...TINY, '--run-dir', join(file, 'runs')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--run-dir/);
  });

  it('a diverging run exits 2 and names the step and unit', () => {
    const root = tempDir();
    const r = runCli(['train', ...TINY, '--arch', 'residual', '--depth', '6', '--lr', '1e4', '--optimizer', 'sgd', '--run-dir', root]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/diverged: training diverged at step \d+/);
    const info = readRunInfo(onlyRun(root));
    expect(info.status).toBe('diverged');
    expect(info.divergence?.step).toBeGreaterThan(0);
  });
});

describe('interruption and resume', () => {
  const ARGS = [...TINY, '--steps', '36', '--log-every', '3', '--checkpoint-every', '5', '--optimizer', 'adam', '--lr', '0.003'];

  it('kill -9 at random steps, then resume: every logged loss equals the uninterrupted run', async () => {
    const straightRoot = tempDir();
    expect(runCli(['train', ...ARGS, '--run-dir', straightRoot]).code).toBe(0);
    const straight = readMetrics(onlyRun(straightRoot)).map((l) => [l.step, l.loss]);
    expect(straight).toHaveLength(13); // every 3 steps, plus the epoch end at step 32

    for (const killAfterLines of [2, 5, 9]) {
      const root = tempDir();
      const child = startCli(['train', ...ARGS, '--run-dir', root]);
      await waitFor(() => {
        const runs = existsSync(root) ? readdirSync(root) : [];
        if (runs.length === 0) return false;
        const file = join(root, runs[0]!, 'metrics.jsonl');
        return existsSync(file) && readFileSync(file, 'utf8').split('\n').length > killAfterLines;
      });
      child.kill('SIGKILL');
      await waitForExit(child);
      const run = onlyRun(root);
      const resumed = runCli(['resume', run]);
      expect(resumed.stderr).toBe('');
      expect(resumed.code).toBe(0);
      expect(resumed.stdout).toMatch(/resumed from the checkpoint at step \d+|model/);
      const lines = readMetrics(run).map((l) => [l.step, l.loss]);
      expect(lines).toEqual(straight);
    }
  });

  for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGUSR1'] as const) {
    it(`${signal} to a headless train writes a checkpoint, marks the run interrupted and exits 130`, async () => {
      const root = tempDir();
      const child = startCli(['train', ...TINY, '--steps', '100000', '--log-every', '5', '--checkpoint-every', '0', '--run-dir', root]);
      await waitFor(() => /step +\d+\/100000/.test(child.output().stdout), 60_000, 'first progress line');
      child.kill(signal);
      const { code } = await waitForExit(child);
      expect(code).toBe(130);
      const run = onlyRun(root);
      const info = readRunInfo(run);
      expect(info.status).toBe('interrupted');
      expect(info.lastCheckpoint).toBe(info.step);
      expect(existsSync(join(run, `ckpt-${info.step}`, 'manifest.json'))).toBe(true);
      expect(child.output().stdout).toMatch(/resnet-tutor resume/);
    });
  }
});

describe('failures that must not lose a run', () => {
  it('a full disk at a checkpoint stops the run with a clear message; the previous checkpoint resumes', () => {
    const root = tempDir();
    const args = ['train', ...TINY, '--steps', '30', '--log-every', '5', '--checkpoint-every', '10', '--run-dir', root];
    const r = runCli(args, { env: { RESNET_TUTOR_FAULTS: 'enospc:tmp-ckpt-20-' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /Could not write a checkpoint at step 20 in .*: the disk is full \(ENOSPC\)\. Training is paused; the previous checkpoint \(step 10\) is intact/,
    );
    // The pause ends saying which checkpoint there is, never "checkpoint written" after saying it could not be.
    expect(r.stdout).toMatch(/^interrupted at step 20\/30; the newest checkpoint is at step 10\. Continue with/m);
    expect(r.stdout + r.stderr).not.toMatch(/checkpoint written\./);
    const run = onlyRun(root);
    expect(readRunInfo(run).status).toBe('interrupted');
    expect(readdirSync(run).filter((n) => n.startsWith('ckpt-') || n.startsWith('.tmp'))).toEqual(['ckpt-10']);
    const resumed = runCli(['resume', run]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/resumed from the checkpoint at step 10/);
    expect(readMetrics(run).map((l) => l.step)).toEqual([5, 10, 15, 20, 25, 30]);
  });

  it('a full disk at the first checkpoint says no checkpoint was written yet', () => {
    const root = tempDir();
    const args = ['train', ...TINY, '--steps', '30', '--log-every', '5', '--checkpoint-every', '10', '--run-dir', root];
    const r = runCli(args, { env: { RESNET_TUTOR_FAULTS: 'enospc:tmp-ckpt-10-' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Could not write a checkpoint at step 10 .*the disk is full \(ENOSPC\)/);
    expect(r.stdout).toMatch(/^interrupted at step 10\/30; no checkpoint written yet\. Continue with/m);
    expect(r.stdout + r.stderr).not.toMatch(/checkpoint written\./);
  });

  for (const fault of ['crash@12', 'exit@12']) {
    it(`a worker that dies (${fault}) marks the run failed, the CLI exits 1, and the run resumes`, () => {
      const root = tempDir();
      const r = runCli(['train', ...TINY, '--steps', '30', '--log-every', '5', '--checkpoint-every', '10', '--run-dir', root], {
        env: { RESNET_TUTOR_FAULTS: fault },
      });
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toMatch(
        fault.startsWith('crash') ? /engine worker crashed: injected crash after step 12/ : /engine worker exited unexpectedly/,
      );
      expect(r.stdout + r.stderr).toMatch(/resnet-tutor resume/);
      const run = onlyRun(root);
      const info = readRunInfo(run);
      expect(info.status).toBe('failed');
      expect(info.reason).toMatch(/engine worker/);
      const resumed = runCli(['resume', run]);
      expect(resumed.code).toBe(0);
      expect(readRunInfo(run).status).toBe('completed');
      expect(readMetrics(run).map((l) => l.step)).toEqual([5, 10, 15, 20, 25, 30]);
    });
  }

  it('resume of an unknown run exits 1 naming the run directory', () => {
    const root = tempDir();
    const r = runCli(['resume', 'no-such-run', '--run-dir', root]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/No run "no-such-run" in .*That folder has no runs/);
  });
});

describe('--name', () => {
  it('names the run folder, and refuses a name that exists, pointing to resume', () => {
    const root = tempDir();
    expect(runCli(['train', ...TINY, '--steps', '4', '--name', 'night-run', '--run-dir', root]).code).toBe(0);
    expect(existsSync(join(root, 'night-run', 'run.json'))).toBe(true);
    const again = runCli(['train', ...TINY, '--steps', '4', '--name', 'night-run', '--run-dir', root]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists .*resnet-tutor resume night-run/);
    expect(runCli(['train', '--name', '../x', '--run-dir', root]).stderr).toMatch(/--name must be letters/);
  });
});
