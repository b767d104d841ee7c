import { appendFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatReportCsv, loadReport } from '../../src/runs/report.js';
import { formatReportText } from '../../src/runs/report/text.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { fixtureLine, writeFixtureRun } from '../helpers/run-fixture.js';

const NOW = new Date('2026-01-01T10:10:00.000Z');
const ID = '20260101-100000-mlp-residual-bn-d3';
const lines = (s: string) => s.replace(/\n$/, '').split('\n');

describe('report', () => {
  let root: string;
  beforeAll(() => {
    root = tempDir('rt-report-');
    const path = writeFixtureRun(root, ID);
    mkdirSync(join(path, 'ckpt-20'));
    mkdirSync(join(path, 'ckpt-40'));
    // Diverged: the loss and a gradient became NaN (stored as null) on the last line.
    const div = writeFixtureRun(root, '20260101-090000-mlp-plain-d3', {
      lines: 3,
      config: { arch: 'plain', lr: 5 },
      info: {
        status: 'diverged',
        step: 16,
        divergence: { step: 16, where: 'block2', what: 'gradient' },
        reason: 'training diverged at step 16: the gradient of block2 became NaN or infinite',
        bestValAccuracy: null,
      },
    });
    appendFileSync(join(div, 'metrics.jsonl'), `${JSON.stringify({ ...fixtureLine(4), loss: NaN, gradNorms: [1, 2, Infinity, 4, 5] })}\n`);
    writeFixtureRun(root, '20260101-080000-cnn-residual-d8', { lines: 0, info: { status: 'running', step: 0, backend: null, units: [] } });
  });

  describe('text', () => {
    it('summarises config, backend, outcome, numbers and checkpoints', () => {
      const text = formatReportText(loadReport(root, ID), { width: 100, now: NOW });
      const l = lines(text);
      expect(l[0]).toBe(`run ${ID}: completed`);
      expect(text).toContain(`  folder       ${resolve(root, ID)}\n`);
      expect(text).toContain('  model        mlp residual-bn d3 w32, 5 units (stem, block1, block2, block3, head)\n');
      expect(text).toContain('  data         fashion-mnist (first 512 training / 128 validation examples), batch 64\n');
      expect(text).toContain('  backend      wasm on CPU (wasm, SIMD, 1 thread); GPU: no\n');
      expect(text).toContain('  created      2026-01-01 10:00:00 UTC (10m ago)\n');
      expect(text).toContain('  outcome      completed at step 40/40.\n');
      // Line 8: loss 2/8, accuracy 0.8, validation on lines 4 and 8.
      expect(text).toContain('  final        step 40, epoch 5.00, loss 0.2500, acc 80.0%, val loss 0.1875, val acc 58.0%\n');
      expect(text).toContain('  best         val acc 58.0% (step 40), val loss 0.1875 (step 40), train loss 0.2500 (step 40)\n');
      expect(text).toContain('  checkpoints  ckpt-40, ckpt-20 (newest first;');
    });

    it('draws loss, accuracy, gradient-norm and activation-variance charts with legends', () => {
      const text = formatReportText(loadReport(root, ID), { width: 100, now: NOW });
      expect(text).toContain('\nLoss (training; validation held between evaluations)\n');
      expect(text).toMatch(/── training loss {3}·· validation loss/);
      expect(text).toContain('\nAccuracy (%)\n');
      expect(text).toContain('\nGradient norm per unit (log scale)\n');
      // First, middle and last unit; the fixture's norms are 10^-(u+1)·(1+1/i).
      expect(text).toMatch(/── stem {3}·· block2 {3}\+\+ head/);
      expect(text).toMatch(/^\s*2e-1 ┤/m); // 0.1·(1 + 1/1): the stem on the first line
      expect(text).toMatch(/^\s*[\d.]+e-5 ┤/m); // the head, four decades lower
      expect(text).toContain('\nActivation variance across depth at step 40 (log scale)\n');
      expect(text).toMatch(/stem \(input side\)\s+head/);
      expect(text).not.toMatch(/\u001b\[/);
      expect(text).not.toContain('NaN');
    });

    it('fits the width it is given', () => {
      for (const width of [40, 60, 80, 132]) {
        const text = formatReportText(loadReport(root, ID), { width, now: NOW });
        for (const line of lines(text)) expect(line.length, line).toBeLessThanOrEqual(width);
      }
    });

    it('names the divergence step and unit, and charts through the NaN', () => {
      const text = formatReportText(loadReport(root, '20260101-0900'), { width: 80, now: NOW });
      expect(text.split('\n')[0]).toBe('run 20260101-090000-mlp-plain-d3: diverged');
      expect(text.replace(/\s+/g, ' ')).toContain(
        'outcome diverged at step 16: the gradient of unit block2 became NaN or infinite. Try a lower --lr, or --arch residual-bn',
      );
      expect(text).toContain('loss NaN');
      expect(text).toContain('(1 non-finite value drawn at the previous value)');
    });

    it('says what is missing for a run that has logged nothing yet', () => {
      const text = formatReportText(loadReport(root, '20260101-0800'), { width: 80, now: NOW });
      expect(text).toContain('  backend      not chosen yet (the run has not started training)\n');
      expect(text).toContain('  metrics      none logged yet\n');
      expect(text).toContain('  checkpoints  none\n');
      expect(text).toContain('watch 20260101-080000-cnn-residual-d8');
    });
  });

  it('csv: one header row, one row per metrics line, per-unit columns named from run.json', () => {
    const csv = formatReportCsv(loadReport(root, ID));
    const rows = lines(csv);
    expect(rows).toHaveLength(1 + 8);
    expect(rows[0]).toBe(
      'run,step,epoch,time,loss,accuracy,valLoss,valAccuracy,lr,samplesPerSecond,' +
        'gradNorm_stem,gradNorm_block1,gradNorm_block2,gradNorm_block3,gradNorm_head,' +
        'actVar_stem,actVar_block1,actVar_block2,actVar_block3,actVar_head',
    );
    expect(rows[1]).toBe(`${ID},5,0.625,2026-01-01T10:00:01.000Z,2,0.1,,,0.05,1001,0.2,0.02,0.002,0.0002,0.00002,1,2,4,8,16`);
    expect(rows[4]!.split(',').slice(6, 8)).toEqual(['0.375', '0.54']);
    // NaN and Infinity are stored as null in metrics.jsonl and come out as NaN.
    const diverged = lines(formatReportCsv(loadReport(root, '20260101-0900')));
    expect(diverged.at(-1)!.split(',')[0]).toBe('20260101-090000-mlp-plain-d3');
    expect(diverged.at(-1)!.split(',')[4]).toBe('NaN');
    expect(diverged.at(-1)!.split(',')[12]).toBe('NaN');
  });

  describe('CLI', () => {
    it('prints the text report within --width', () => {
      const r = runCli(['report', ID, '--run-dir', root, '--width', '70']);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout.split('\n')[0]).toBe(`run ${ID}: completed`);
      for (const line of lines(r.stdout)) expect(line.length).toBeLessThanOrEqual(70);
      expect(r.stdout).not.toMatch(/\u001b\[/);
    });

    it('--csv and --json export the metrics', () => {
      const csv = runCli(['report', ID, '--run-dir', root, '--csv']);
      expect(csv.code).toBe(0);
      expect(lines(csv.stdout)).toHaveLength(9);
      expect(csv.stdout.startsWith('run,step,epoch,time,loss,')).toBe(true);

      const json = runCli(['report', ID.slice(0, 10), '--run-dir', root, '--json']);
      expect(json.code).toBe(0);
      const parsed = JSON.parse(json.stdout) as { run: { id: string; units: string[] }; metrics: { step: number }[] };
      expect(parsed.run.id).toBe(ID);
      expect(parsed.run.units).toEqual(['stem', 'block1', 'block2', 'block3', 'head']);
      expect(parsed.metrics.map((m) => m.step)).toEqual([5, 10, 15, 20, 25, 30, 35, 40]);
    });

    it('an unknown run exits 1 with one paragraph that names the run dir', () => {
      const r = runCli(['report', 'nope', '--run-dir', root]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`^resnet-tutor: No run "nope" in ${root}\\. Runs there: .*--run-dir ${root}.*\\n$`));
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    });

    it('an ambiguous prefix and bad flags exit 1', () => {
      const ambiguous = runCli(['report', '2026', '--run-dir', root]);
      expect(ambiguous.code).toBe(1);
      expect(ambiguous.stderr).toContain('"2026" matches 3 runs');
      expect(runCli(['report', ID, '--run-dir', root, '--csv', '--json']).code).toBe(1);
      const narrow = runCli(['report', ID, '--run-dir', root, '--width', '10']);
      expect(narrow.code).toBe(1);
      expect(narrow.stderr).toContain('--width must be a whole number of columns from 40 to 1000');
    });
  });

  it('end to end: a real tiny training run is listed by `runs` and summarised by `report`', () => {
    const dir = tempDir('rt-report-e2e-');
    const train = runCli([
      'train',
      '--steps',
      '24',
      '--train-limit',
      '256',
      '--val-limit',
      '64',
      '--depth',
      '2',
      '--width',
      '16',
      '--log-every',
      '4',
      '--run-dir',
      dir,
    ]);
    expect(train.code, train.stderr).toBe(0);
    const listed = runCli(['runs', '--run-dir', dir, '--json']);
    const [run] = JSON.parse(listed.stdout) as { id: string; status: string; step: number }[];
    expect(run).toMatchObject({ status: 'completed', step: 24 });
    const report = runCli(['report', run!.id, '--run-dir', dir, '--width', '80']);
    expect(report.code).toBe(0);
    expect(report.stdout).toContain('outcome      completed at step 24/24.');
    expect(report.stdout).toContain('Gradient norm per unit (log scale)');
    expect(report.stdout).toMatch(/── stem {3}·· block1 {3}\+\+ head/);
    const csv = runCli(['report', run!.id, '--run-dir', dir, '--csv']);
    expect(lines(csv.stdout)).toHaveLength(1 + 6);
    expect(lines(csv.stdout)[0]).toContain('gradNorm_block2,gradNorm_head');
  });
});
