import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readMetrics, readRunInfo } from '../../src/runs/run-dir.js';
import { lockRun, processAlive } from '../../src/runs/lock.js';
import { ensureBuilt, runCli, startCli, tempDir, waitFor, waitForExit } from '../helpers/cli.js';

const TINY = [
  ...['--train-limit', '512', '--val-limit', '64', '--depth', '2', '--width', '16', '--batch-size', '16'],
  ...['--backend', 'wasm', '--log-every', '2', '--checkpoint-every', '4'],
];

beforeAll(() => ensureBuilt());

/** A run of 80 steps killed with SIGKILL after its first checkpoint: left with a lock of a dead process. */
async function killedRun(): Promise<string> {
  const root = tempDir();
  const child = startCli(['train', ...TINY, '--steps', '80', '--name', 'r', '--run-dir', root]);
  await waitFor(() => existsSync(join(root, 'r', 'ckpt-4')), 60_000, 'the first checkpoint');
  child.kill('SIGKILL');
  await waitForExit(child);
  expect(existsSync(join(root, 'r', '.lock'))).toBe(true);
  return join(root, 'r');
}

describe('one writer per run', () => {
  it('a second resume of a run being trained is refused, naming the holder; the first is unharmed', async () => {
    const run = await killedRun();
    const first = startCli(['resume', run]);
    await waitFor(() => /resumed from the checkpoint/.test(first.output().stdout), 60_000, 'the first resume');
    const second = runCli(['resume', run]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/^resnet-tutor: Run r is in use by another resnet-tutor \(pid \d+ on \S+, since \d{4}-\d\d-\d\dT/);
    expect(second.stderr).toContain(`pid ${first.pid}`);
    first.kill('SIGTERM');
    expect((await waitForExit(first)).code).toBe(130);
    // No step logged twice, none out of order.
    const steps = readMetrics(run).map((l) => l.step);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(new Set(steps).size).toBe(steps.length);
    expect(existsSync(join(run, '.lock'))).toBe(false);
  });

  it('two resumes started together: exactly one trains', async () => {
    const run = await killedRun();
    const a = startCli(['resume', run, '--json']);
    const b = startCli(['resume', run, '--json']);
    await waitFor(() => a.exitCode !== null || b.exitCode !== null, 60_000, 'one to be refused');
    const loser = a.exitCode !== null ? a : b;
    const winner = loser === a ? b : a;
    expect(loser.exitCode).toBe(1);
    expect(loser.output().stderr).toMatch(/is in use by another resnet-tutor/);
    winner.kill('SIGTERM');
    expect((await waitForExit(winner)).code).toBe(130);
    const steps = readMetrics(run).map((l) => l.step);
    expect(new Set(steps).size).toBe(steps.length);
    expect(readRunInfo(run).status).toBe('interrupted');
  });

  it('the lock of a process killed with -9 is taken over', async () => {
    const run = await killedRun();
    const r = runCli(['resume', run]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readRunInfo(run).status).toBe('completed');
    expect(readdirSync(run).filter((n) => n.startsWith('.lock'))).toEqual([]);
  });
});

describe('lockRun on a shared file system', () => {
  const plant = (run: string, host: string, ageMs: number) => {
    mkdirSync(join(run, '.lock'), { recursive: true });
    writeFileSync(join(run, '.lock', 'owner.json'), JSON.stringify({ host, pid: 1, since: '2026-01-01T00:00:00Z', token: 'x' }));
    const t = new Date(Date.now() - ageMs);
    utimesSync(join(run, '.lock'), t, t);
  };

  it('a fresh lock of another host is respected; one not refreshed for minutes is taken over', async () => {
    const run = tempDir();
    plant(run, 'node17.cluster', 1_000);
    await expect(lockRun(run, 'r')).rejects.toThrow(/pid 1 on node17\.cluster, since 2026-01-01/);
    plant(run, 'node17.cluster', 10 * 60_000);
    const lock = await lockRun(run, 'r');
    lock.release();
    expect(existsSync(join(run, '.lock'))).toBe(false);
  });

  it('a half-made lock (no owner file) is taken over once old, not while it may be being written', async () => {
    const run = tempDir();
    mkdirSync(join(run, '.lock'));
    await expect(lockRun(run, 'r')).rejects.toThrow(/in use/);
    const t = new Date(Date.now() - 60_000);
    utimesSync(join(run, '.lock'), t, t);
    (await lockRun(run, 'r')).release();
  });
});

describe('processAlive', () => {
  it('a zombie (killed, not yet reaped) is not alive; a running process is', async () => {
    // The shell forks a short `sleep` and then becomes a long one, which never reaps it: once the short
    // one ends (after the exec, so the shell cannot reap it first) it stays a zombie.
    const child = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zombie = Number(await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString()))));
      await waitFor(() => readFileSync(`/proc/${zombie}/stat`, 'utf8').includes(') Z '), 5000, 'the zombie');
      expect(processAlive(zombie)).toBe(false);
      expect(processAlive(child.pid!)).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
