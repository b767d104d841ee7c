// `npm run gpu:check` itself, run as a user runs it (the built script in its own processes), on the
// software WebGPU adapter with tiny settings. Needs `npm run build` first (it runs dist/).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  emptyReport,
  finishReport,
  judgeLossFall,
  parseGpuCheckArgs,
  sections,
  UsageError,
  type GpuCheckReport,
} from '../../bench/gpu-check-report.js';
import { skipWithoutWebGpu } from './require-webgpu.js';

const script = resolve('dist/bench/gpu-check.js');
const dir = mkdtempSync(join(tmpdir(), 'gpu-check-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runCheck(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [script, ...args], { timeout: 280_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('gpu:check on the software adapter', () => {
  it('writes a complete report: routes, parity, samples/s, and a training run whose loss fell', async (ctx) => {
    const out = join(dir, 'report.json');
    // 12 steps: a fixed amount of work, since the software adapter takes seconds per step.
    const args = ['--allow-software', '--out', out, '--train-steps', '12', '--train-seconds', '240'];
    const tiny = ['--steps', '1', '--batch-size', '8', '--depth', '8', '--width', '4', '--parity-families', '1'];
    const run = await runCheck([...args, ...tiny]);
    expect(run.stdout).toContain(`report: ${out}`);
    // Dawn's limit notices (native code, straight to stderr) are filtered out of the check's output.
    expect(run.stderr).not.toMatch(/artificially reduced/);
    const r = JSON.parse(readFileSync(out, 'utf8')) as GpuCheckReport;
    skipWithoutWebGpu(ctx, r.routes.webgpu.status === 'ok' ? null : String(r.routes.webgpu.reason));

    expect(run.code, run.stdout + run.stderr).toBe(r.verdict === 'pass' ? 0 : 1);
    for (const [name, s] of sections(r)) {
      expect(['ok', 'skipped', 'failed'], name).toContain(s.status);
      if (s.status !== 'ok') expect(s.reason, name).toMatch(/\w/);
    }
    expect((r.doctor.report as { backends: unknown[] }).backends.length).toBe(5);
    expect(r.routes.webgpu.adapter).toMatchObject({ dawnBackend: expect.stringMatching(/vulkan|opengles/) });
    expect(r.routes.webgpu.device).toMatch(/WebGPU/);

    const parity = r.parity.webgpu.families as { family: string; verdict: string }[];
    expect(parity.map((f) => f.family)).toEqual(['mlp residual-bn']);
    expect(parity[0]!.verdict).not.toBe('fail');
    expect(r.throughput.webgpu.samplesPerSecond).toBeGreaterThan(0);
    expect(r.throughput.webgpu.msPerStep).toHaveLength(1);
    expect(r.throughput.webgpu.tensorsPerStep).toBe(0);
    if (r.throughput.wasm.status === 'ok') expect(r.throughput.wasm.samplesPerSecond).toBeGreaterThan(0);

    // The only GPU route here is webgpu, so the training run is on it; its verdict follows from the
    // losses it reports.
    const t = r.training;
    const losses = t.losses as number[];
    expect(t.backend).toBe('webgpu');
    expect(losses).toHaveLength(12);
    expect(t.steps).toBe(12);
    expect([t.firstLoss, t.lastLoss]).toEqual([losses[0], losses[11]]);
    expect(t.firstThirdMean).toBeCloseTo(mean(losses.slice(0, 4)), 10);
    expect(t.lastThirdMean).toBeCloseTo(mean(losses.slice(8)), 10);
    expect(t.lossFell).toBe(mean(losses.slice(8)) < mean(losses.slice(0, 4)));
    expect(t.status, String(t.reason)).toBe('ok');
    expect(r.verdict).toBe('pass');
  }, 280_000);

  it('a check that runs past its budget is stopped: the running section fails, the rest say they were not reached', async () => {
    const out = join(dir, 'stopped.json');
    const run = await runCheck(['--allow-software', '--out', out, '--budget-seconds', '10', '--depth', '8', '--width', '4']);
    const r = JSON.parse(readFileSync(out, 'utf8')) as GpuCheckReport;
    expect(run.code).toBe(1);
    expect(r.verdict).toBe('fail');
    expect(r.failed).toHaveLength(1);
    const [failed] = sections(r).filter(([, s]) => s.status === 'failed');
    expect(failed![1].reason).toMatch(/stopped at its 10 s budget/);
    expect(r.training.status).toBe('skipped');
    expect(r.training.reason).toMatch(/^not reached/);
  });
});

describe('gpu:check judgements', () => {
  it('the loss fell when the last third of the steps averages below the first third', () => {
    expect(judgeLossFall([2.3, 2.4, 2.2, 2.0, 1.9, 2.1]).lossFell).toBe(true);
    expect(judgeLossFall([2.0, 2.1, 2.4, 2.0, 2.2, 2.3]).lossFell).toBe(false);
    expect(judgeLossFall([2.3, 2.2, 2.1, 2.0, NaN, 1.9]).reason).toMatch(/not finite/);
    const short = judgeLossFall([2.3, 1.0]);
    expect(short.lossFell).toBe(false);
    expect(short.reason).toMatch(/only 2 steps/);
  });
  it('options: defaults fit 5 minutes; bad values are refused with the usage', () => {
    const o = parseGpuCheckArgs([], 'r.json');
    expect(o).toMatchObject({ trainSeconds: 120, depth: 20, allowSoftware: false, budgetSeconds: 280, trainSteps: null });
    expect(parseGpuCheckArgs(['--train-seconds', '300'], 'r.json').budgetSeconds).toBe(460);
    expect(() => parseGpuCheckArgs(['--depth', '10'], 'r.json')).toThrow(UsageError);
    expect(() => parseGpuCheckArgs(['--train-backend', 'cuda'], 'r.json')).toThrow(/webgpu, node-gpu, wasm/);
    expect(() => parseGpuCheckArgs(['--bogus'], 'r.json')).toThrow(/unknown option --bogus/);
  });
  it('a finished report has no pending section, and a failure makes the verdict fail', () => {
    const r = emptyReport(parseGpuCheckArgs([], 'r.json'), {});
    r.doctor = { status: 'ok' };
    finishReport(r, { running: 'routes.webgpu', why: 'stopped' });
    expect(r.routes.webgpu).toEqual({ status: 'failed', reason: 'stopped' });
    expect(r.parity.webgpu).toEqual({ status: 'skipped', reason: 'not reached: stopped' });
    expect(r.failed).toEqual(['routes.webgpu']);
    expect(r.verdict).toBe('fail');
  });
});
