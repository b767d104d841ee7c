import { appendFileSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { charsetFor, colorAllowed } from '../../src/util/output-style.js';
import { readMetrics, readRunInfo, RUN_FORMAT_VERSION, trimMetrics } from '../../src/runs/run-dir.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { fixtureInfo, fixtureLine, writeFixtureRun } from '../helpers/run-fixture.js';

interface SvgNode {
  [key: string]: unknown;
}

/** Every element named `name` anywhere under `node` (fast-xml-parser's preserveOrder tree). */
function findAll(node: unknown, name: string): SvgNode[] {
  const out: SvgNode[] = [];
  const walk = (n: unknown) => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (n && typeof n === 'object') {
      for (const [k, v] of Object.entries(n)) {
        if (k === name) out.push(n as SvgNode);
        if (k !== ':@') walk(v);
      }
    }
  };
  walk(node);
  return out;
}

function attrs(n: SvgNode): Record<string, string> {
  return (n[':@'] ?? {}) as Record<string, string>;
}

function parseSvg(text: string): unknown {
  const valid = XMLValidator.validate(text);
  expect(valid, JSON.stringify(valid)).toBe(true);
  return new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '' }).parse(text);
}

/** [x, y] pairs of a series group: its polylines' points and its lone dots. */
function seriesPoints(g: SvgNode): [number, number][] {
  const children = g.g as unknown[];
  const pts: [number, number][] = [];
  for (const c of findAll(children, 'polyline'))
    for (const p of attrs(c).points!.split(' ')) pts.push(p.split(',').map(Number) as [number, number]);
  for (const c of findAll(children, 'circle')) pts.push([Number(attrs(c).cx), Number(attrs(c).cy)]);
  return pts;
}

describe('report --svg', () => {
  it('writes well-formed, self-contained SVG: loss and accuracy charts with axes, units, legends and every point', () => {
    const root = tempDir('rt-svg-');
    writeFixtureRun(root, 'r1', { lines: 8 });
    const file = join(root, 'loss.svg');
    const r = runCli(['report', 'r1', '--run-dir', root, '--svg', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*loss\.svg: loss and accuracy of run r1, 8 metrics lines/);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toMatch(/<script|href=|@import|url\(/); // nothing to fetch or run
    const doc = parseSvg(text);
    const panels = findAll(doc, 'g').filter((g) => attrs(g).class === 'panel');
    expect(panels.map((p) => attrs(p)['data-title'])).toEqual(['Loss', 'Accuracy']);
    const series = findAll(doc, 'g').filter((g) => attrs(g).class === 'series');
    expect(series.map((s) => attrs(s)['data-label'])).toEqual([
      'training loss',
      'validation loss',
      'training accuracy',
      'validation accuracy',
    ]);
    // 8 lines; validation on every 4th (lines 4 and 8).
    expect(series.map((s) => seriesPoints(s).length)).toEqual([8, 2, 8, 2]);
    expect(series.map((s) => Number(attrs(s)['data-points']))).toEqual([8, 2, 8, 2]);
    // Higher loss is drawn higher (smaller y): the loss falls from line 1 to line 8.
    const loss = seriesPoints(series[0]!);
    expect(loss[0]![1]).toBeLessThan(loss[7]![1]);
    expect(loss.map(([x]) => x)).toEqual([...loss.map(([x]) => x)].sort((a, b) => a - b));
    const texts = findAll(doc, 'text').map((t) => JSON.stringify(t.text));
    for (const label of ['training step', 'cross-entropy loss (nats)', 'accuracy (%)', 'validation loss', 'run r1'])
      expect(
        texts.some((t) => t.includes(label)),
        label,
      ).toBe(true);
  });

  it('breaks a line at a NaN instead of drawing through it', () => {
    const root = tempDir('rt-svg-');
    const path = writeFixtureRun(root, 'r1', { lines: 3 });
    appendFileSync(
      join(path, 'metrics.jsonl'),
      `${JSON.stringify({ ...fixtureLine(4), loss: null })}\n${JSON.stringify(fixtureLine(5))}\n`,
    );
    const file = join(root, 'nan.svg');
    expect(runCli(['report', 'r1', '--run-dir', root, '--svg', file]).code).toBe(0);
    const series = findAll(parseSvg(readFileSync(file, 'utf8')), 'g').filter((g) => attrs(g).class === 'series');
    const train = series[0]!;
    expect(findAll(train.g, 'polyline')).toHaveLength(1); // steps 5-15
    expect(findAll(train.g, 'circle')).toHaveLength(1); // step 25 alone after the gap
    expect(seriesPoints(train)).toHaveLength(4);
  });

  it('refuses to write through a symbolic link, and names a missing folder', () => {
    const root = tempDir('rt-svg-');
    writeFixtureRun(root, 'r1', { lines: 2 });
    const victim = join(root, 'victim.txt');
    writeFileSync(victim, 'keep me');
    symlinkSync(victim, join(root, 'link.svg'));
    const r = runCli(['report', 'r1', '--run-dir', root, '--svg', join(root, 'link.svg')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^resnet-tutor: --svg: .*link\.svg is a symbolic link; resnet-tutor will not write through it/);
    expect(readFileSync(victim, 'utf8')).toBe('keep me');
    const missing = runCli(['report', 'r1', '--run-dir', root, '--svg', join(root, 'no', 'such', 'x.svg')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--svg: cannot write .*the folder .*no\/such does not exist/);
    expect(readdirSync(root).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });
});

describe('format versions', () => {
  it('run.json and every metrics line carry formatVersion; files without it read as version 1', () => {
    const root = tempDir('rt-fmt-');
    const path = writeFixtureRun(root, 'r1', { lines: 3 });
    expect(JSON.parse(readFileSync(join(path, 'run.json'), 'utf8')).formatVersion).toBe(RUN_FORMAT_VERSION);
    const lines = readFileSync(join(path, 'metrics.jsonl'), 'utf8').trim().split('\n');
    for (const l of lines) expect(JSON.parse(l).formatVersion).toBe(RUN_FORMAT_VERSION);
    // An older run folder: no field anywhere.
    const old = join(root, 'old');
    writeFixtureRun(root, 'old', { lines: 0 });
    writeFileSync(join(old, 'run.json'), JSON.stringify(fixtureInfo('old')));
    writeFileSync(join(old, 'metrics.jsonl'), [1, 2].map((i) => `${JSON.stringify(fixtureLine(i))}\n`).join(''));
    expect(readRunInfo(old).id).toBe('old');
    expect(readMetrics(old).map((m) => m.step)).toEqual([5, 10]);
    const r = runCli(['report', 'old', '--run-dir', root, '--csv']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(3);
  });

  it('a newer run.json or metrics line is refused with a clear message, and resume changes nothing', () => {
    const root = tempDir('rt-fmt-');
    const path = writeFixtureRun(root, 'r1', { lines: 3 });
    const info = readFileSync(join(path, 'run.json'), 'utf8');
    writeFileSync(join(path, 'run.json'), info.replace('"formatVersion": 1', `"formatVersion": ${RUN_FORMAT_VERSION + 1}`));
    for (const args of [
      ['report', 'r1'],
      ['resume', 'r1'],
    ]) {
      const r = runCli([...args, '--run-dir', root]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(
          `run\\.json was written by a newer resnet-tutor \\(run-folder format ${RUN_FORMAT_VERSION + 1}; this version reads formats up to ${RUN_FORMAT_VERSION}\\)\\. Upgrade`,
        ),
      );
    }
    writeFileSync(join(path, 'run.json'), info);
    const metrics = join(path, 'metrics.jsonl');
    appendFileSync(metrics, `${JSON.stringify({ ...fixtureLine(4), formatVersion: RUN_FORMAT_VERSION + 1 })}\n`);
    const before = readFileSync(metrics, 'utf8');
    const r = runCli(['report', 'r1', '--run-dir', root]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/metrics\.jsonl was written by a newer resnet-tutor/);
    expect(() => trimMetrics(path, 10)).toThrow(/newer resnet-tutor/);
    expect(readFileSync(metrics, 'utf8')).toBe(before);
    // A malformed version is damage, like any other bad field.
    writeFileSync(join(path, 'run.json'), info.replace('"formatVersion": 1', '"formatVersion": "one"'));
    const bad = runCli(['report', 'r1', '--run-dir', root]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/"formatVersion" is "one", expected a whole number/);
  });
});

describe('one colour and charset policy', () => {
  const tty = { isTTY: true };
  it('--no-color, then FORCE_COLOR, then NO_COLOR, then the terminal decide colour', () => {
    expect(colorAllowed(tty, {})).toBe(true);
    expect(colorAllowed({ isTTY: false }, {})).toBe(false);
    expect(colorAllowed(tty, { TERM: 'dumb' })).toBe(false);
    expect(colorAllowed(tty, { NO_COLOR: '1' })).toBe(false);
    expect(colorAllowed({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorAllowed({ isTTY: false }, { FORCE_COLOR: '' })).toBe(true);
    expect(colorAllowed(tty, { FORCE_COLOR: '0' })).toBe(false);
    expect(colorAllowed(tty, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(true);
    expect(colorAllowed({ isTTY: false }, { FORCE_COLOR: '1' }, false)).toBe(false);
  });

  it('ASCII when LC_ALL, LC_CTYPE or LANG (the first set) is not UTF-8', () => {
    expect(charsetFor({ LC_ALL: 'C', LANG: 'en_US.UTF-8' }, 'linux')).toBe('ascii');
    expect(charsetFor({ LANG: 'C' }, 'linux')).toBe('ascii');
    expect(charsetFor({ LC_CTYPE: 'POSIX' }, 'linux')).toBe('ascii');
    expect(charsetFor({ LANG: 'en_GB.utf8' }, 'linux')).toBe('unicode');
    expect(charsetFor({ LC_ALL: 'C', RESNET_TUTOR_CHARSET: 'unicode' }, 'linux')).toBe('unicode');
  });

  it('report: ASCII only under LC_ALL=C, no escape codes with --no-color even when FORCE_COLOR asks', () => {
    const root = tempDir('rt-style-');
    writeFixtureRun(root, 'r1', { lines: 8 });
    const utf = runCli(['report', 'r1', '--run-dir', root, '--width', '80'], {
      env: { LC_ALL: 'en_US.UTF-8', FORCE_COLOR: undefined, NO_COLOR: undefined },
    });
    expect(utf.stdout).toMatch(/[^\x00-\x7f]/); // the charts' box drawing
    const c = runCli(['report', 'r1', '--run-dir', root, '--width', '80'], { env: { LC_ALL: 'C', FORCE_COLOR: undefined } });
    expect(c.code).toBe(0);
    expect(c.stdout).not.toMatch(/[^\x00-\x7f]/);
    for (const line of c.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    expect(c.stdout).toContain('Loss (training; validation held between evaluations)');

    const forced = runCli(['report', 'r1', '--run-dir', root], { env: { FORCE_COLOR: '1', NO_COLOR: undefined } });
    expect(forced.stdout).toMatch(/\x1b\[3\dm/); // FORCE_COLOR colours even in a pipe
    const off = runCli(['report', 'r1', '--run-dir', root, '--no-color'], { env: { FORCE_COLOR: '1' } });
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout).not.toMatch(/\x1b\[/);
    const noColor = runCli(['report', 'r1', '--run-dir', root], { env: { NO_COLOR: '1', FORCE_COLOR: undefined } });
    expect(noColor.stdout).not.toMatch(/\x1b\[/);
  });

  it('probe follows the same policy: --no-color and ASCII under LC_ALL=C', () => {
    const r = runCli(['probe', 'variance', '--depth', '4', '--repeats', '1', '--batch-size', '32', '--no-color'], {
      env: { LC_ALL: 'C', FORCE_COLOR: '1' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('E[h^2] per block (log scale)');
    expect(r.stdout).not.toMatch(/[^\x00-\x7f]/);
    expect(r.stdout).not.toMatch(/\x1b\[/);
  });
});
