import { cpSync, existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readMetrics, readRunInfo } from '../../src/runs/run-dir.js';
import { ensureBuilt, runCli, tempDir } from '../helpers/cli.js';

/** `train --name X --resume-if-exists`: the one line a requeued Slurm job runs. */
const TINY = [
  ...['--steps', '12', '--train-limit', '256', '--val-limit', '32', '--depth', '2', '--width', '8', '--batch-size', '16'],
  ...['--backend', 'wasm', '--log-every', '2', '--checkpoint-every', '4', '--headless'],
];

beforeAll(() => ensureBuilt());

describe('train --resume-if-exists', () => {
  it('starts the run, resumes it after it was cut short, and says a completed one is done (exit 0)', () => {
    const root = tempDir('rt-requeue-');
    const args = ['train', ...TINY, '--name', 'job', '--resume-if-exists', '--run-dir', root];
    // First start: the worker dies after step 6 (as a node lost mid-job); checkpoint 4 is on disk.
    const first = runCli(args, { env: { RESNET_TUTOR_FAULTS: 'exit@6' } });
    expect(first.code).toBe(1);
    expect(readRunInfo(join(root, 'job')).status).toBe('failed');

    const second = runCli(args);
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^job exists \(failed at step \d+\): resuming it\n/);
    expect(second.stdout).toMatch(/resumed from the checkpoint at step 4/);
    expect(readRunInfo(join(root, 'job')).status).toBe('completed');
    expect(readMetrics(join(root, 'job')).map((l) => l.step)).toEqual([2, 4, 6, 8, 10, 12]);

    // Requeued once more after it finished: nothing is trained again, exit 0 (no requeue).
    const third = runCli(args);
    expect(third.code).toBe(0);
    expect(third.stdout).toBe('job already completed at step 12; nothing to train. Summary: `resnet-tutor report job`\n');
    expect(readMetrics(join(root, 'job')).map((l) => l.step)).toEqual([2, 4, 6, 8, 10, 12]);
    expect(readdirSync(root).filter((n) => !n.startsWith('.'))).toEqual(['job']);
  });

  it('is refused without --name, before anything is written', () => {
    const root = tempDir('rt-requeue-');
    const r = runCli(['train', ...TINY, '--resume-if-exists', '--run-dir', root]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^resnet-tutor: --resume-if-exists needs --name: it resumes the run of that name/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(readdirSync(root)).toEqual([]);
  });

  it('refuses flags that would make another run than the one that exists', () => {
    const root = tempDir('rt-requeue-');
    const r0 = runCli(['train', ...TINY, '--name', 'job', '--run-dir', root], { env: { RESNET_TUTOR_FAULTS: 'exit@2' } });
    expect(r0.code).toBe(1);
    const r = runCli(['train', ...TINY, '--width', '16', '--name', 'job', '--resume-if-exists', '--run-dir', root]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^resnet-tutor: Run job \(.*\) exists with other settings than these flags give: width 8 there, 16 here\./);
    expect(readRunInfo(join(root, 'job')).config.width).toBe(8);
  });

  it('a run.json written before a config field existed is the same settings (the field takes its default)', () => {
    const root = tempDir('rt-requeue-');
    const args = ['train', ...TINY, '--name', 'job', '--resume-if-exists', '--json', '--run-dir', root];
    expect(runCli(args, { env: { RESNET_TUTOR_FAULTS: 'exit@6' } }).code).toBe(1);
    const file = join(root, 'job', 'run.json');
    const info = JSON.parse(readFileSync(file, 'utf8')) as { config: Record<string, unknown> };
    delete info.config.augment;
    delete info.config.holdout;
    writeFileSync(file, JSON.stringify(info));
    const again = runCli(args);
    expect(again.code).toBe(0);
    // --json: every line stays JSON, the requeue note too.
    const events = again.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event?: string; message?: string });
    expect(events[0]).toEqual({
      formatVersion: 1,
      event: 'log',
      message: expect.stringMatching(/^job exists \(failed at step \d+\): resuming it$/),
    });
    expect(readRunInfo(join(root, 'job')).status).toBe('completed');
  });

  it('finds a run folder that was renamed or copied by the id in its run.json', () => {
    const root = tempDir('rt-requeue-');
    const args = ['train', ...TINY, '--name', 'job', '--resume-if-exists', '--run-dir', root];
    expect(runCli(args, { env: { RESNET_TUTOR_FAULTS: 'exit@6' } }).code).toBe(1);
    renameSync(join(root, 'job'), join(root, 'job-moved'));

    // report, watch and the requeued train all find it by its id.
    expect(runCli(['report', 'job', '--run-dir', root]).stdout).toMatch(/^run job: failed/);
    const again = runCli(args);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^job exists \(failed at step \d+\): resuming it/);
    expect(readRunInfo(join(root, 'job-moved')).status).toBe('completed');
    expect(existsSync(join(root, 'job'))).toBe(false);

    // Copied to another run directory under another name: found there too.
    const other = tempDir('rt-requeue-copy-');
    cpSync(join(root, 'job-moved'), join(other, 'copy-of-job'), { recursive: true });
    expect(runCli(['watch', 'job', '--run-dir', other]).stdout).toContain('job was already completed at step 12/12');

    // Two folders with one id in the same place: a clear refusal naming both, not a guess.
    cpSync(join(root, 'job-moved'), join(root, 'job-copy'), { recursive: true });
    const ambiguous = runCli(['report', 'job', '--run-dir', root]);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toMatch(/^resnet-tutor: 2 run folders in .* record the id "job" \(.*job-copy, .*job-moved\)/);
  });
});
