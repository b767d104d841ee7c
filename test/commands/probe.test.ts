import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/contracts/train-config.js';
import { writeRunInfo } from '../../src/runs/run-dir.js';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli.js');
let runDir: string;

/** Runs the built CLI (not on a TTY); `npm test` builds first, and a missing build is made here. */
function resnetTutor(...args: string[]): { code: number | null; stdout: string; stderr: string; seconds: number } {
  const start = Date.now();
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, seconds: (Date.now() - start) / 1000 };
}

beforeAll(async () => {
  if (!existsSync(join(root, 'dist', 'src', 'commands', 'probe.js'))) {
    await promisify(execFile)('npm', ['run', 'build'], { cwd: root, timeout: 170_000 });
  }
  runDir = mkdtempSync(join(tmpdir(), 'rt-probe-'));
  // A plain run folder (run.json only): `paths` must refuse it before loading anything.
  const plain = join(runDir, 'plain-run');
  mkdirSync(plain);
  const now = new Date().toISOString();
  writeRunInfo(plain, {
    id: 'plain-run',
    config: resolveConfig({ arch: 'plain', depth: 3, width: 16 }),
    status: 'completed',
    created: now,
    updated: now,
    step: 10,
    totalSteps: 10,
    stepsPerEpoch: 10,
    units: [],
    backend: null,
    versions: {},
    lastCheckpoint: 10,
    bestValAccuracy: null,
    lastValLoss: null,
  });
}, 180_000);

afterAll(() => {
  if (runDir) rmSync(runDir, { recursive: true, force: true });
});

/** A user error: exit 1, one `resnet-tutor: ...` paragraph on stderr, no stack trace, nothing computed. */
function expectUserError(r: ReturnType<typeof resnetTutor>, message: RegExp): void {
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^resnet-tutor: /);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.seconds).toBeLessThan(10);
}

describe('resnet-tutor probe: bad input exits 1 with a clear message', () => {
  it('depth 0', () => {
    expectUserError(resnetTutor('probe', 'variance', '--depth', '0'), /--depth must be an integer at least 1/);
  });

  it('an unknown probe', () => {
    expectUserError(resnetTutor('probe', 'wobble'), /Unknown probe "wobble"\. The probes are: variance .*shatter .*paths .*lesion/);
  });

  it('a run id that does not exist', () => {
    expectUserError(resnetTutor('probe', 'lesion', 'no-such-run', '--run-dir', runDir), /No run "no-such-run" in .*Runs there: plain-run/);
  });

  it('paths on a plain run, or with --arch plain', () => {
    expectUserError(
      resnetTutor('probe', 'paths', 'plain-run', '--run-dir', runDir),
      /Run plain-run is a plain network: it has exactly one path/,
    );
    expectUserError(resnetTutor('probe', 'paths', '--arch', 'plain'), /--arch plain is a plain network/);
  });

  it('lesion without a run, and a run given to variance', () => {
    expectUserError(resnetTutor('probe', 'lesion'), /name a run/);
    expectUserError(resnetTutor('probe', 'variance', 'plain-run', '--run-dir', runDir), /reads no run/);
  });

  it('a bad option value', () => {
    expectUserError(
      resnetTutor('probe', 'variance', '--arch', 'plain,wide'),
      /--arch must be one of plain, plain-bn, residual, residual-bn/,
    );
    expectUserError(resnetTutor('probe', 'shatter', '--net', 'cnn'), /1-D input/);
  });
});

describe('resnet-tutor probe: results', () => {
  it('--help lists the probes and examples', () => {
    const r = resnetTutor('probe', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('variance | shatter | paths | lesion');
    expect(r.stdout).toContain('resnet-tutor probe lesion');
  });

  it('variance prints a chart and a table (plain text when piped)', () => {
    const r = resnetTutor(
      'probe',
      'variance',
      '--depth',
      '6',
      '--width',
      '32',
      '--batch-size',
      '32',
      '--repeats',
      '1',
      '--backend',
      'wasm',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('E[h²] per block (log scale)');
    expect(r.stdout).toMatch(/^\s+residual-bn\s+[\d.e-]+\s+[\d.e-]+\s+[\d.e-]+\s+[\d.e-]+\s+\+[\d.]+\s+linear$/m);
    expect(r.stdout).not.toMatch(/\u001b\[/);
  });

  it('paths --json: binomial path counts from a real (worker) run', () => {
    const r = resnetTutor(
      'probe',
      'paths',
      '--depth',
      '4',
      '--width',
      '8',
      '--batch-size',
      '8',
      '--samples',
      '1',
      '--backend',
      'wasm',
      '--json',
    );
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { probe: string; totalPaths: number; lengths: { count: number }[]; backend: { name: string } };
    expect(result.probe).toBe('paths');
    expect(result.totalPaths).toBe(16);
    expect(result.lengths.map((l) => l.count)).toEqual([1, 4, 6, 4, 1]);
    expect(result.backend.name).toBe('wasm');
  });

  it('lesion on a run trained by the CLI: one row per block', () => {
    const train = resnetTutor(
      'train',
      '--arch',
      'residual-bn',
      '--depth',
      '3',
      '--width',
      '16',
      '--steps',
      '20',
      '--batch-size',
      '32',
      '--train-limit',
      '512',
      '--val-limit',
      '64',
      '--run-dir',
      runDir,
      '--backend',
      'wasm',
      '--headless',
    );
    expect(train.code).toBe(0);
    const id = readdirSync(runDir).find((n) => n.includes('mlp-residual-bn-d3'))!;
    expect(id).toBeTruthy();
    const json = resnetTutor('probe', 'lesion', id, '--run-dir', runDir, '--backend', 'wasm', '--json');
    expect(json.code).toBe(0);
    const result = JSON.parse(json.stdout) as {
      runId: string;
      step: number;
      examples: number;
      rows: { block: number; accuracy: number }[];
    };
    expect(result.runId).toBe(id);
    expect(result.step).toBe(20);
    expect(result.examples).toBe(64);
    expect(result.rows.map((r) => r.block)).toEqual([1, 2, 3]);
    const text = resnetTutor('probe', 'lesion', id.slice(0, -3), '--run-dir', runDir, '--backend', 'wasm');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`probe lesion: run ${id}`);
    expect(text.stdout).toMatch(/^\s+block3\s+[\d.]+%\s+[-+][\d.]+ pts$/m);
  });
});
