import { describe, expect, it } from 'vitest';
import { formatOverlayText, loadReports } from '../../src/runs/report-overlay.js';
import { renderReport } from '../../src/runs/report.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { writeFixtureRun } from '../helpers/run-fixture.js';

/** `report a,b`: runs that exist already (trained apart) on one chart and one table. */
describe('report a,b', () => {
  const setup = () => {
    const root = tempDir('rt-report-overlay-');
    writeFixtureRun(root, '20260101-100000-mlp-plain-d3', { lines: 8, config: { arch: 'plain' } });
    writeFixtureRun(root, '20260102-090000-mlp-residual-bn-d3', { lines: 4, info: { status: 'interrupted', step: 20 } });
    return root;
  };

  it('a table row per run and charts with one series per run, the legend naming the run', () => {
    const root = setup();
    const text = formatOverlayText(loadReports(root, '20260101,20260102'), { width: 100 });
    const lines = text.split('\n');
    expect(lines[0]).toBe('2 runs overlaid: 20260101-100000-mlp-plain-d3 vs 20260102-090000-mlp-residual-bn-d3');
    expect(text).toMatch(/^run +status +step +loss +best val acc +samples\/s$/m);
    // Fixture line i has loss 2/i, validation every 4th line at 0.5 + i/100, speed 1000 + i.
    expect(text).toMatch(/^20260101-100000-mlp-plain-d3 +completed +40\/40 +0\.2500 +58\.0% \(step 40\) +1005$/m);
    expect(text).toMatch(/^20260102-090000-mlp-residual-bn-d3 +interrupted +20\/40 +0\.5000 +54\.0% \(step 20\) +1003$/m);
    expect(text).toContain('20260101-100000-mlp-plain-d3: mlp plain d3 w32 on fashion-mnist, in');
    expect(text).toContain('Training loss (a run that ended earlier stays at its last value)');
    expect(text).toContain('Validation accuracy (%)');
    // Every chart's legend names both runs.
    const legends = lines.filter((l) => l.includes('20260101-100000-mlp-plain-d3') && l.includes('20260102-090000-mlp-residual-bn-d3'));
    expect(legends.length).toBeGreaterThanOrEqual(5); // the title and four charts
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(100);
  });

  it('the CLI prints the overlay, refuses --csv for several runs, and --json gives one object per run', () => {
    const root = setup();
    const text = runCli(['report', '20260101,20260102', '--run-dir', root, '--width', '80']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^2 runs overlaid: /);
    const csv = runCli(['report', '20260101,20260102', '--run-dir', root, '--csv']);
    expect(csv.code).toBe(1);
    expect(csv.stderr).toMatch(/^resnet-tutor: --csv takes one run at a time/);
    const json = JSON.parse(renderReport(root, '20260102,20260101', { format: 'json', width: 80 })) as {
      run: { id: string };
      metrics: unknown[];
    }[];
    expect(json.map((r) => [r.run.id, r.metrics.length])).toEqual([
      ['20260102-090000-mlp-residual-bn-d3', 4],
      ['20260101-100000-mlp-plain-d3', 8],
    ]);
    // One run named twice is that run's own report.
    expect(renderReport(root, '20260101,20260101', { format: 'text', width: 80 })).toMatch(/^run 20260101-100000-mlp-plain-d3: completed/);
  });
});
