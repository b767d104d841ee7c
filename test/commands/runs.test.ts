import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeLessonTag } from '../../src/lessons/lesson-runs.js';
import { lessonRunsDir } from '../../src/runs/lesson-root.js';
import { formatAgo, formatRunsTable, listRuns, runsAsJson } from '../../src/runs/list.js';
import { findRun, RUN_FORMAT_VERSION } from '../../src/runs/run-dir.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { fixtureLine, writeFixtureRun } from '../helpers/run-fixture.js';

const NOW = new Date('2026-01-01T10:10:00.000Z');

describe('runs listing', () => {
  let root: string;
  beforeAll(() => {
    root = tempDir('rt-runs-');
    writeFixtureRun(root, '20260101-090000-mlp-plain-d3', {
      info: {
        status: 'diverged',
        created: '2026-01-01T09:00:00.000Z',
        updated: '2026-01-01T09:01:00.000Z',
        step: 12,
        bestValAccuracy: null,
      },
      config: { arch: 'plain' },
      lines: 2,
    });
    writeFixtureRun(root, '20260101-100000-mlp-residual-bn-d3', {});
    // Running: run.json was last written at step 10 (a checkpoint), the metrics went on to step 40.
    writeFixtureRun(root, '20260101-100500-cnn-residual-d8', {
      info: {
        status: 'running',
        created: '2026-01-01T10:05:00.000Z',
        updated: '2026-01-01T10:06:00.000Z',
        step: 10,
        totalSteps: 400,
        backend: { name: 'node-gpu', device: 'GPU 0: NVIDIA H200', usingGpu: true, attempts: [], warnings: [] },
        bestValAccuracy: null,
      },
      config: { net: 'cnn', arch: 'residual', depth: 8, width: 16, dataset: 'cifar10' },
    });
    mkdirSync(join(root, 'torn-json'));
    writeFileSync(join(root, 'torn-json', 'run.json'), '{"id": "torn-json", "status": ');
    mkdirSync(join(root, 'lost-run-json'));
    writeFileSync(join(root, 'lost-run-json', 'metrics.jsonl'), `${JSON.stringify(fixtureLine(1))}\n`);
    mkdirSync(join(root, 'not-a-run')); // no run files: not listed
    mkdirSync(join(root, 'no-config'));
    writeFileSync(join(root, 'no-config', 'run.json'), '{"id": "no-config", "status": "running", "updated": "2026-01-01T00:00:00Z"}');
  });

  it('lists runs newest first and damaged folders with their reason, skipping foreign folders', () => {
    const listings = listRuns(root);
    const runs = listings.filter((l) => l.kind === 'run').map((l) => (l.kind === 'run' ? l.info.id : ''));
    expect(runs).toEqual(['20260101-100500-cnn-residual-d8', '20260101-100000-mlp-residual-bn-d3', '20260101-090000-mlp-plain-d3']);
    const damaged = Object.fromEntries(listings.flatMap((l) => (l.kind === 'damaged' ? [[l.id, l.reason]] : [])));
    expect(Object.keys(damaged).sort()).toEqual(['lost-run-json', 'no-config', 'torn-json']);
    expect(damaged['torn-json']).toMatch(/^run\.json is not valid JSON \(/);
    expect(damaged['lost-run-json']).toBe('run.json is missing');
    expect(damaged['no-config']).toBe('run.json has no config');
  });

  it('takes the step from the newest metrics line when run.json lags behind', () => {
    const running = listRuns(root).find((l) => l.kind === 'run' && l.info.status === 'running');
    expect(running?.kind === 'run' && running.step).toBe(40);
  });

  it('prints a table with model, backend, status, progress, best accuracy and relative times', () => {
    const table = formatRunsTable(root, listRuns(root), Infinity, NOW);
    const lines = table.split('\n');
    expect(lines[0]).toBe(`6 runs in ${resolve(root)}, newest first`);
    expect(table).toMatch(/^ID\s+MODEL\s+DATA\s+BACKEND\s+STATUS\s+STEP\s+BEST VAL\s+UPDATED$/m);
    expect(table).toMatch(
      /^20260101-100000-mlp-residual-bn-d3\s+mlp residual-bn d3 w32\s+fashion-mnist\s+wasm \(CPU\)\s+completed\s+40\/40 \(5\.0 ep\)\s+75\.0%\s+5m ago$/m,
    );
    expect(table).toMatch(
      /^20260101-100500-cnn-residual-d8\s+cnn residual d8 w16\s+cifar10\s+node-gpu \(GPU\)\s+running\s+40\/400 \(5\.0 ep\)\s+-\s+4m ago$/m,
    );
    // Its run.json is from 09:01, but its last metrics line from 10:00:02: the newer one counts.
    expect(table).toMatch(
      /^20260101-090000-mlp-plain-d3\s+mlp plain d3 w32\s+fashion-mnist\s+wasm \(CPU\)\s+diverged\s+12\/40 \(1\.5 ep\)\s+-\s+9m ago$/m,
    );
    expect(table).toMatch(/^torn-json\s+damaged\s+/m);
    expect(table).toContain('torn-json: damaged: run.json is not valid JSON');
    expect(table).toContain('resnet-tutor report <id>');
    // The running one was updated 4 minutes before NOW: no staleness note yet.
    expect(table).not.toContain('has not been updated');
  });

  it('notes a run that says running but has not been updated for a long time', () => {
    const later = new Date('2026-01-01T12:00:00.000Z');
    expect(formatRunsTable(root, listRuns(root), Infinity, later)).toContain(
      '20260101-100500-cnn-residual-d8: says running but has not been updated for over 10 minutes',
    );
  });

  it('leaves out columns to fit a narrow terminal, keeping id and status', () => {
    const table = formatRunsTable(root, listRuns(root), 80, NOW);
    const rows = table.split('\n').filter((l) => l.startsWith('2026'));
    for (const row of rows) expect(row.length).toBeLessThanOrEqual(80);
    expect(table).toMatch(/^ID\s+.*STATUS/m);
    expect(table).not.toMatch(/^ID\s+MODEL\s+DATA/m);
  });

  it('--json gives the run.json objects with their path, and damaged entries', () => {
    const json = runsAsJson(listRuns(root)) as { id: string; path: string; status: string; config?: unknown; reason?: string }[];
    const running = json.find((j) => j.id === '20260101-100500-cnn-residual-d8');
    expect(running).toMatchObject({ status: 'running', path: resolve(root, '20260101-100500-cnn-residual-d8'), totalSteps: 400 });
    expect(running!.config).toMatchObject({ net: 'cnn' });
    expect(json.find((j) => j.id === 'torn-json')).toMatchObject({ status: 'damaged', reason: expect.stringContaining('not valid JSON') });
  });

  it('formats relative times', () => {
    const at = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString();
    expect(formatAgo(at(2), NOW)).toBe('just now');
    expect(formatAgo(at(45), NOW)).toBe('45s ago');
    expect(formatAgo(at(5 * 60 + 10), NOW)).toBe('5m ago');
    expect(formatAgo(at(3 * 3600), NOW)).toBe('3h ago');
    expect(formatAgo(at(2 * 86400), NOW)).toBe('2d ago');
    expect(formatAgo(at(90 * 86400), NOW)).toBe('2025-10-03');
    expect(formatAgo('not a time', NOW)).toBe('?');
  });

  it('the CLI prints the table, JSON, and a hint for an empty folder', () => {
    const table = runCli(['runs', '--run-dir', root]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('20260101-100000-mlp-residual-bn-d3');
    expect(table.stdout).not.toMatch(/\u001b\[/);

    const json = runCli(['runs', '--run-dir', root, '--json']);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { id: string; path: string }[];
    expect(parsed).toHaveLength(6);
    expect(parsed.every((p) => typeof p.path === 'string')).toBe(true);

    const empty = tempDir('rt-runs-empty-');
    const none = runCli(['runs', '--run-dir', empty]);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe(
      `No runs in ${empty} yet. Start one with \`resnet-tutor train --run-dir ${empty}\` (add --steps 200 for a quick one), or point --run-dir at the folder that holds your runs.\n`,
    );
    expect(runCli(['runs', '--run-dir', empty, '--json']).stdout).toBe('[]\n');
  });
});

describe('runs: a run folder of a newer format', () => {
  it('is marked newer-format with a note naming the file and the version, and its fields are not shown', () => {
    const root = tempDir('rt-runs-newer-');
    writeFixtureRun(root, '20260101-100000-mlp-residual-bn-d3', {});
    const newer = writeFixtureRun(root, '20260101-110000-mlp-plain-d3', { config: { arch: 'plain' } });
    const file = join(newer, 'run.json');
    const version = RUN_FORMAT_VERSION + 1;
    writeFileSync(file, JSON.stringify({ ...(JSON.parse(readFileSync(file, 'utf8')) as object), formatVersion: version }));
    const message = `${file} was written by a newer resnet-tutor (run-folder format ${version}; this version reads formats up to ${RUN_FORMAT_VERSION}). Upgrade resnet-tutor`;

    const listings = listRuns(root);
    const row = listings.find((l) => l.kind === 'damaged');
    expect(row).toMatchObject({ id: '20260101-110000-mlp-plain-d3', newer: true, reason: expect.stringContaining(message) });
    expect(listings.filter((l) => l.kind === 'run')).toHaveLength(1);

    const table = formatRunsTable(root, listings, Infinity, NOW);
    expect(table).toMatch(/^20260101-110000-mlp-plain-d3\s+newer-format\s+\S/m);
    expect(table).not.toMatch(/mlp plain d3/);
    expect(table).toContain(`20260101-110000-mlp-plain-d3: ${message}`);
    expect(table).not.toContain('damaged');

    const cli = runCli(['runs', '--run-dir', root, '--json']);
    expect(cli.code).toBe(0);
    const json = JSON.parse(cli.stdout) as { id: string; status: string; reason?: string }[];
    expect(json.find((j) => j.id === '20260101-110000-mlp-plain-d3')).toMatchObject({
      status: 'newer-format',
      reason: expect.stringContaining(message),
    });
    expect(json.find((j) => j.id === '20260101-100000-mlp-residual-bn-d3')).toMatchObject({ status: 'completed' });
  });
});

describe('lesson runs', () => {
  it('live in $XDG_DATA_HOME/resnet-tutor/lesson-runs; runs --lessons lists them and --dir prints the folder', () => {
    const data = tempDir('rt-xdg-');
    const env = { XDG_DATA_HOME: data };
    const dir = join(data, 'resnet-tutor', 'lesson-runs');
    expect(lessonRunsDir(env)).toBe(dir);
    expect(lessonRunsDir({ HOME: '/home/ada' })).toBe('/home/ada/.local/share/resnet-tutor/lesson-runs');
    // A relative XDG_DATA_HOME is invalid (XDG spec) and ignored.
    expect(lessonRunsDir({ HOME: '/home/ada', XDG_DATA_HOME: 'rel' })).toBe('/home/ada/.local/share/resnet-tutor/lesson-runs');

    expect(runCli(['runs', '--lessons', '--dir'], { env }).stdout).toBe(`${dir}\n`);
    expect(runCli(['runs', '--lessons'], { env }).stdout).toBe(
      `No lesson runs in ${dir} yet: they appear when you run an experiment in \`resnet-tutor learn\`.\n`,
    );
    const run = writeFixtureRun(dir, '20260101-120000-mlp-residual-bn-d4', {});
    writeLessonTag(run, { lesson: 'ensembles', experiment: 'lesion', variant: 'quick', label: 'arch residual-bn', seed: 1 });
    const listed = runCli(['runs', '--lessons'], { env });
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n')[0]).toBe(`Lesson runs in ${dir} (the latest run of each experiment is kept):`);
    expect(listed.stdout).toMatch(/^20260101-120000-mlp-residual-bn-d4 +ensembles lesion arch residual-bn seed 1 /m);
    expect(listed.stdout).toMatch(/^ID +LESSON RUN +MODEL/m);
  });

  it('report, resume and probe find a lesson run by id or unique prefix when --run-dir does not hold it', () => {
    const data = tempDir('rt-xdg-');
    const dir = join(data, 'resnet-tutor', 'lesson-runs');
    writeFixtureRun(dir, '20260101-120000-mlp-residual-bn-d4', {});
    const elsewhere = tempDir('rt-runs-elsewhere-');
    const saved = process.env.XDG_DATA_HOME;
    process.env.XDG_DATA_HOME = data;
    try {
      expect(findRun(elsewhere, '20260101-1200')).toBe(join(dir, '20260101-120000-mlp-residual-bn-d4'));
      expect(() => findRun(elsewhere, '2027')).toThrow(/^No run "2027" in /);
    } finally {
      if (saved === undefined) delete process.env.XDG_DATA_HOME;
      else process.env.XDG_DATA_HOME = saved;
    }
    const report = runCli(['report', '20260101-1200', '--run-dir', elsewhere], { env: { XDG_DATA_HOME: data } });
    expect(report.stderr).toBe('');
    expect(report.code).toBe(0);
    expect(report.stdout).toContain('20260101-120000-mlp-residual-bn-d4');
  });
});

describe('layering', () => {
  it('runs, report and watch never load TensorFlow.js, nor any engine module', () => {
    const src = resolve(import.meta.dirname, '../../src');
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      // Value imports and re-exports; `import type` is erased.
      for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)'/gm)) {
        const spec = m[1]!;
        expect(spec, `${relative(src, file)} imports ${spec}`).not.toMatch(/tensorflow|^ink$|^react$/);
        if (!spec.startsWith('.')) continue;
        const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
        const rel = relative(src, target);
        expect(rel, `${relative(src, file)} imports ${rel}`).not.toMatch(/^engine\//);
        visit(target);
      }
    };
    for (const f of [
      'commands/runs.ts',
      'commands/report.ts',
      'commands/watch.ts',
      'runs/list.ts',
      'runs/report.ts',
      'commands/impl/watch.ts',
      'runs/tail.ts',
      'render/text-chart.ts',
    ]) {
      visit(join(src, f));
    }
    expect(seen.size).toBeGreaterThan(8);
  });
});
