import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readRunInfo } from '../../src/runs/run-dir.js';
import { ensureBuilt, runCli, startCli, tempDir, waitForExit } from '../helpers/cli.js';

const TINY = [
  ...['--steps', '12', '--train-limit', '256', '--val-limit', '32', '--depth', '2', '--width', '8', '--batch-size', '16'],
  ...['--backend', 'wasm', '--log-every', '4', '--checkpoint-every', '4'],
];

beforeAll(() => ensureBuilt());

/** After a kill: no run folder, or a complete one; either way the same command line gets the run done. */
function recovers(root: string): void {
  const run = join(root, 'r');
  const leftovers = readdirSync(root).filter((n) => n !== 'r' && !n.startsWith('.tmp-run-'));
  expect(leftovers).toEqual([]);
  if (existsSync(run)) {
    expect(() => readRunInfo(run)).not.toThrow();
    const r = runCli(['resume', 'r', '--run-dir', root]);
    // Killed after it completed: resume says so.
    if (r.code === 1) expect(r.stderr).toMatch(/^resnet-tutor: Run r already completed/);
    else expect(r.stderr).toBe('');
    expect([0, 1]).toContain(r.code);
  } else {
    const r = runCli(['train', ...TINY, '--name', 'r', '--run-dir', root]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  }
  expect(readRunInfo(run).status).toBe('completed');
  // Temporary folders of the killed process are gone once something creates a run there again.
  runCli(['train', ...TINY, '--steps', '1', '--name', 'again', '--run-dir', root]);
  expect(readdirSync(root).filter((n) => n.startsWith('.tmp-run-'))).toEqual([]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a kill while the run folder is being created', () => {
  it('during the first run.json write: no half-made run folder; the same --name trains', async () => {
    const root = tempDir();
    const child = startCli(['train', ...TINY, '--name', 'r', '--run-dir', root]);
    // Poll the folder every millisecond and kill the moment the temporary folder appears.
    while (!(existsSync(root) && readdirSync(root).some((n) => n.startsWith('.tmp-run-')))) {
      if (child.exitCode !== null) break;
      await sleep(1);
    }
    child.kill('SIGKILL');
    await waitForExit(child);
    recovers(root);
  });

  // Random instants from spawn through startup and the first steps (seeded: a failure names its delay).
  for (const delay of [150, 700, 1400, 2500].map((d, i) => d + ((i * 7919) % 97))) {
    it(`kill -9 at ${delay} ms: either no run folder or a complete one, and it can be finished`, async () => {
      const root = tempDir();
      const child = startCli(['train', ...TINY, '--name', 'r', '--run-dir', root]);
      await sleep(delay);
      child.kill('SIGKILL');
      await waitForExit(child);
      recovers(root);
    });
  }

  it('an empty folder of that name (left by an older version) is reused; a non-empty one is refused', () => {
    const root = tempDir();
    mkdirSync(join(root, 'r'));
    expect(runCli(['train', ...TINY, '--name', 'r', '--run-dir', root]).code).toBe(0);
    expect(readRunInfo(join(root, 'r')).status).toBe('completed');
    mkdirSync(join(root, 'mine'));
    writeFileSync(join(root, 'mine', 'notes.txt'), 'mine');
    const r = runCli(['train', ...TINY, '--name', 'mine', '--run-dir', root]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/exists but is not a run folder \(no run\.json, not empty\)/);
    expect(readdirSync(join(root, 'mine'))).toEqual(['notes.txt']);
  });

  it('a full disk at creation: a clear error, no folder left behind, and the next try works', () => {
    const root = tempDir();
    const r = runCli(['train', ...TINY, '--name', 'r', '--run-dir', root], { env: { RESNET_TUTOR_FAULTS: 'enospc:tmp-run-' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^resnet-tutor: Cannot write in the run directory .* \(ENOSPC\)/);
    expect(readdirSync(root)).toEqual([]);
    expect(runCli(['train', ...TINY, '--name', 'r', '--run-dir', root]).code).toBe(0);
  });
});

describe('run.json on resume', () => {
  it('a config edited out of range is refused like a flag would be', () => {
    const root = tempDir();
    expect(runCli(['train', ...TINY, '--name', 'r', '--run-dir', root], { env: { RESNET_TUTOR_FAULTS: 'exit@4' } }).code).toBe(1);
    const file = join(root, 'r', 'run.json');
    const info = readRunInfo(join(root, 'r'));
    writeFileSync(file, JSON.stringify({ ...info, config: { ...info.config, batchSize: 1e9 } }));
    const r = runCli(['resume', 'r', '--run-dir', root]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/`batchSize` in .*run\.json must be an integer at least 1 and at most 65536; got "1000000000"/);
  });

  it('run.json.tmp-* files left by a killed writer are removed on resume', () => {
    const root = tempDir();
    expect(runCli(['train', ...TINY, '--name', 'r', '--run-dir', root], { env: { RESNET_TUTOR_FAULTS: 'exit@4' } }).code).toBe(1);
    writeFileSync(join(root, 'r', 'run.json.tmp-999999-abcdef'), '{"half":');
    expect(runCli(['resume', 'r', '--run-dir', root]).code).toBe(0);
    expect(readdirSync(join(root, 'r')).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });
});
