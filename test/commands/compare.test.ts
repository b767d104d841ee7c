import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMetrics, readRunInfo } from '../../src/runs/run-dir.js';
import { runCli, tempDir } from '../helpers/cli.js';

const TINY = ['--steps', '20', '--train-limit', '128', '--val-limit', '32', '--depth', '2', '--width', '8'];
const TINY_REST = ['--batch-size', '16', '--log-every', '10', '--backend', 'wasm'];

/** `compare` end to end: the real CLI trains both arms (headless, as off a terminal) to the end. */
describe('compare', () => {
  it('trains one run per value of the list, each to the end, and labels every line with its arm', () => {
    const root = tempDir();
    const r = runCli(['compare', '--arch', 'plain,residual', ...TINY, ...TINY_REST, '--run-dir', root]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const runs = readdirSync(root)
      .filter((n) => existsSync(join(root, n, 'run.json')))
      .map((id) => ({ id, info: readRunInfo(join(root, id)), metrics: readMetrics(join(root, id)) }));
    expect(runs.map((x) => x.info.config.arch).sort()).toEqual(['plain', 'residual']);
    // The arms differ in the listed option only.
    const [a, b] = runs.map((x) => ({ ...x.info.config, arch: '' }));
    expect(a).toEqual(b);
    for (const run of runs) {
      const label = run.info.config.arch;
      expect(run.info.status).toBe('completed');
      expect(run.info.step).toBe(20);
      expect(run.metrics.at(-1)?.step).toBe(20);
      expect(r.stdout).toContain(`[${label}] run ${run.id} in `);
      expect(r.stdout).toContain(`[${label}] completed ${run.id} at step 20/20`);
      // Every progress line names its arm.
      for (const line of r.stdout.split('\n').filter((l) => / step +\d+\/20 /.test(l))) expect(line).toMatch(/^\[(plain|residual)\] /);
    }
    // Two trainings, not one reported twice: same seed and data, different networks, different losses.
    expect(runs[0]!.metrics.at(-1)!.loss).not.toBe(runs[1]!.metrics.at(-1)!.loss);
  });

  it('one bad value in a list writes no run at all', () => {
    const root = tempDir();
    const r = runCli(['compare', '--arch', 'plain,nonsense', ...TINY, ...TINY_REST, '--run-dir', root]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--arch/);
    expect(existsSync(root) ? readdirSync(root) : []).toEqual([]);
  });
});
