import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MetricsLine } from '../../src/contracts/run-folder.js';
import { appendMetrics, readMetrics, trimMetrics } from '../../src/runs/run-dir.js';
import { encodeEvent, maskedCrc32c, scanRecords, tfRecord } from '../../src/runs/tensorboard-encode.js';
import { closeEventFiles, scalarsOf } from '../../src/runs/tensorboard.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { fixtureLine, UNITS, writeFixtureRun } from '../helpers/run-fixture.js';
import { crc32cBitwise, eventFiles, readEventFile, tensorboardScalars, type ReadEvent } from '../helpers/tfevents-reader.js';

const f32 = Math.fround;

/** The scalars each metrics line must come back as (float32, as simple_value stores them). */
function expected(lines: readonly MetricsLine[]): Map<number, Record<string, number>> {
  return new Map(lines.map((l) => [l.step, Object.fromEntries(scalarsOf(l, UNITS).map((s) => [s.tag, f32(s.value)]))]));
}

function scalarEvents(events: readonly ReadEvent[]): ReadEvent[] {
  return events.filter((e) => e.scalars);
}

afterEach(() => closeEventFiles());

describe('TensorBoard event files', () => {
  it('the CRC is CRC32C, masked as TFRecord masks it', () => {
    // The check value of CRC32C (RFC 3720, iSCSI) and the independent bitwise definition agree.
    expect(crc32cBitwise(Buffer.from('123456789'))).toBe(0xe3069283);
    const data = Buffer.from('any bytes at all');
    const c = crc32cBitwise(data);
    expect(maskedCrc32c(data)).toBe(((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) % 2 ** 32);
  });

  it('steps past 2^32, tags of any text and non-finite values survive the round trip', () => {
    const dir = tempDir('rt-tb-');
    const file = join(dir, 'events.out.tfevents.1.test');
    const scalars = [
      { tag: 'grad_norm/блок-1 (ünicode)', value: 0.1 },
      { tag: 'loss/train', value: NaN },
      { tag: 'x', value: -Infinity },
      { tag: 'big', value: 3.4e38 },
    ];
    writeFileSync(
      file,
      Buffer.concat([
        tfRecord(encodeEvent(1.5, 0, { kind: 'fileVersion' })),
        tfRecord(encodeEvent(1.75, 2 ** 33 + 5, { kind: 'scalars', scalars })),
        tfRecord(encodeEvent(2, 127, { kind: 'start' })),
        tfRecord(encodeEvent(2, 128, { kind: 'scalars', scalars: [] })),
      ]),
    );
    const [version, ev, start, empty] = readEventFile(file);
    expect(version).toMatchObject({ wallTime: 1.5, step: 0, fileVersion: 'brain.Event:2' });
    expect(ev!.step).toBe(2 ** 33 + 5);
    expect(ev!.wallTime).toBe(1.75);
    expect(ev!.scalars).toEqual({ 'grad_norm/блок-1 (ünicode)': f32(0.1), 'loss/train': NaN, x: -Infinity, big: f32(3.4e38) });
    expect(start).toMatchObject({ step: 127, sessionStatus: 'START' });
    expect(empty).toMatchObject({ step: 128, scalars: {} });
    expect(scanRecords(readFileSync(file)).map((r) => r.step)).toEqual([0, 2 ** 33 + 5, 127, 128]);
  });

  it('a run folder gets an event file with every step and value of metrics.jsonl', () => {
    const root = tempDir('rt-tb-');
    const path = writeFixtureRun(root, 'r1', { lines: 8 });
    const files = eventFiles(path);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/\/events\.out\.tfevents\.\d+\.[^/]+$/);
    const events = readEventFile(files[0]!);
    expect(events[0]!.fileVersion).toBe('brain.Event:2');
    const metrics = readMetrics(path);
    const want = expected(metrics);
    const got = scalarEvents(events);
    expect(got.map((e) => e.step)).toEqual(metrics.map((m) => m.step));
    for (const e of got) {
      expect(e.scalars).toEqual(want.get(e.step));
      expect(e.wallTime).toBe(Date.parse(metrics.find((m) => m.step === e.step)!.time) / 1000);
    }
    // The tags TensorBoard groups: loss/, accuracy/, grad_norm/<unit>, activation_variance/<unit>.
    expect(Object.keys(got[3]!.scalars!)).toEqual(
      expect.arrayContaining([
        'loss/train',
        'loss/validation',
        'accuracy/validation',
        'learning_rate',
        'grad_norm/block2',
        'activation_variance/head',
      ]),
    );
  });

  it('a resumed run writes no step twice: the old file is cut at the checkpoint, the new one starts with SessionLog START', () => {
    const root = tempDir('rt-tb-');
    const path = writeFixtureRun(root, 'r1', { lines: 6 }); // steps 5..30
    closeEventFiles(); // the killed process
    expect(trimMetrics(path, 20)).toBeNull(); // resume from the checkpoint at step 20
    // The resumed process writes steps 25..40 again (with different values, so a duplicate would show).
    const again = [5, 6, 7, 8].map((i) => ({ ...fixtureLine(i), loss: 10 + i }));
    appendMetrics(path, again);
    const files = eventFiles(path);
    expect(files).toHaveLength(2);
    const [first, second] = files.map(readEventFile);
    expect(scalarEvents(first!).map((e) => e.step)).toEqual([5, 10, 15, 20]);
    expect(second!.find((e) => e.sessionStatus)).toMatchObject({ sessionStatus: 'START', step: 25 });
    const all = [...first!, ...second!].filter((e) => e.scalars);
    expect(all.map((e) => e.step)).toEqual([5, 10, 15, 20, 25, 30, 35, 40]);
    const metrics = readMetrics(path);
    const want = expected(metrics);
    for (const e of all) expect(e.scalars).toEqual(want.get(e.step));
    expect(all.find((e) => e.step === 30)!.scalars!['loss/train']).toBe(16);
  });

  it('a torn last record (a kill mid-append) is cut on resume', () => {
    const root = tempDir('rt-tb-');
    const path = writeFixtureRun(root, 'r1', { lines: 4 });
    closeEventFiles();
    const file = eventFiles(path)[0]!;
    writeFileSync(file, readFileSync(file).subarray(0, readFileSync(file).length - 7));
    trimMetrics(path, 40);
    expect(scalarEvents(readEventFile(file)).map((e) => e.step)).toEqual([5, 10, 15]);
  });

  it('a damaged event file (flipped, replaced, a folder) never stops a resume, and metrics.jsonl is trimmed as always', () => {
    const damages: Record<string, (f: string) => void> = {
      flip: (f) => {
        const b = readFileSync(f);
        b[Math.floor(b.length / 2)]! ^= 0x5a;
        writeFileSync(f, b);
      },
      replace: (f) => writeFileSync(f, 'not an event file\n'),
      folder: (f) => {
        rmSync(f);
        mkdirSync(f);
      },
    };
    for (const [name, damage] of Object.entries(damages)) {
      const root = tempDir('rt-tb-');
      const path = writeFixtureRun(root, 'r1', { lines: 8 });
      closeEventFiles();
      const file = eventFiles(path)[0]!;
      const metrics = readFileSync(join(path, 'metrics.jsonl'), 'utf8');
      damage(file);
      expect(() => trimMetrics(path, 20), name).not.toThrow();
      expect(readFileSync(join(path, 'metrics.jsonl'), 'utf8'), name).toBe(metrics.split('\n').slice(0, 4).join('\n') + '\n');
      if (name !== 'folder') {
        // What is left reads back whole: the records before the damage, none after step 20.
        const steps = scalarEvents(readEventFile(file)).map((e) => e.step);
        expect(
          steps.every((s) => s <= 20),
          name,
        ).toBe(true);
        expect(steps, name).toEqual([5, 10, 15, 20].slice(0, steps.length));
      }
    }
  });

  it('an event file that cannot be written does not stop the run: one warning, and metrics.jsonl goes on', () => {
    const root = tempDir('rt-tb-');
    const path = writeFixtureRun(root, 'r1', { lines: 1 });
    const live = eventFiles(path)[0]!;
    rmSync(live);
    mkdirSync(live); // the file this process appends to is now a folder: EISDIR
    const warning = appendMetrics(path, [fixtureLine(2)]);
    expect(warning).toMatch(
      /TensorBoard event file in .* could not be written \(EISDIR\); training goes on .*report <run> --tensorboard DIR/,
    );
    expect(appendMetrics(path, [fixtureLine(3)])).toBeNull(); // said once; the event file stays off
    expect(readMetrics(path).map((m) => m.step)).toEqual([5, 10, 15]);
  });

  it('`report --tensorboard DIR` exports a run from metrics.jsonl, the same on every export, never through a symlink', () => {
    const root = tempDir('rt-tb-');
    const path = writeFixtureRun(root, 'r1', { lines: 8 });
    const out = tempDir('rt-tb-out-');
    for (let i = 0; i < 2; i++) {
      const r = runCli(['report', 'r1', '--run-dir', root, '--tensorboard', out]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^wrote .*events\.out\.tfevents\..* 8 steps of run r1/);
    }
    const files = eventFiles(join(out, 'r1'));
    expect(files).toHaveLength(1); // the second export replaced the first
    const got = scalarEvents(readEventFile(files[0]!));
    const want = expected(readMetrics(path));
    expect(got.map((e) => e.step)).toEqual([...want.keys()]);
    for (const e of got) expect(e.scalars).toEqual(want.get(e.step));

    const target = join(out, 'elsewhere');
    writeFileSync(target, 'keep me');
    const out2 = tempDir('rt-tb-out-');
    mkdirSync(join(out2, 'r1'));
    symlinkSync(target, join(out2, 'r1', files[0]!.split('/').at(-1)!));
    const r = runCli(['report', 'r1', '--run-dir', root, '--tensorboard', out2]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is a symbolic link; resnet-tutor will not write through it/);
    expect(readFileSync(target, 'utf8')).toBe('keep me');
  });

  it.skipIf(tensorboardScalars(tempDir('rt-tb-probe-')) === null)(
    'the real TensorBoard reads every step and value, and drops nothing after a resume',
    () => {
      const root = tempDir('rt-tb-');
      const path = writeFixtureRun(root, 'r1', { lines: 6 });
      closeEventFiles();
      trimMetrics(path, 20);
      appendMetrics(
        path,
        [5, 6, 7, 8].map((i) => ({ ...fixtureLine(i), loss: 10 + i })),
      );
      const tb = tensorboardScalars(path)!;
      const metrics = readMetrics(path);
      const want = expected(metrics);
      const tags = Object.keys(want.get(5)!);
      for (const tag of tags) {
        const series = tb[tag]!.filter(([step]) => want.get(step)?.[tag] !== undefined);
        expect(
          series.map(([s]) => s),
          tag,
        ).toEqual(metrics.filter((m) => want.get(m.step)![tag] !== undefined).map((m) => m.step));
        for (const [step, value] of series) expect(value, `${tag} at step ${step}`).toBe(want.get(step)![tag]);
      }
      expect(tb['loss/train']!.map(([s]) => s)).toEqual([5, 10, 15, 20, 25, 30, 35, 40]);
    },
  );
});

describe('TensorBoard event files of a real run', () => {
  const TINY = [
    ...['--steps', '12', '--train-limit', '256', '--val-limit', '32', '--depth', '2', '--width', '8', '--batch-size', '16'],
    ...['--backend', 'wasm', '--log-every', '2', '--checkpoint-every', '4', '--headless'],
  ];

  it('killed after step 11 (checkpoint at 8, step 10 logged) and resumed: every logged step once, equal to metrics.jsonl', () => {
    const root = tempDir('rt-tb-run-');
    const killed = runCli(['train', ...TINY, '--name', 'r', '--run-dir', root], { env: { RESNET_TUTOR_FAULTS: 'exit@11' } });
    expect(killed.code).toBe(1);
    const path = join(root, 'r');
    expect(readMetrics(path).map((m) => m.step)).toEqual([2, 4, 6, 8, 10]);
    const resumed = runCli(['resume', 'r', '--run-dir', root, '--headless']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const files = eventFiles(path);
    expect(files).toHaveLength(2);
    const all = files.flatMap(readEventFile).filter((e) => e.scalars);
    const metrics = readMetrics(path);
    expect(all.map((e) => e.step)).toEqual([2, 4, 6, 8, 10, 12]);
    expect(metrics.map((m) => m.step)).toEqual([2, 4, 6, 8, 10, 12]);
    const units = (JSON.parse(readFileSync(join(path, 'run.json'), 'utf8')) as { units: string[] }).units;
    for (const [i, e] of all.entries()) {
      const want = Object.fromEntries(scalarsOf(metrics[i]!, units).map((s) => [s.tag, f32(s.value)]));
      expect(e.scalars).toEqual(want);
    }
    expect(Object.keys(all[0]!.scalars!)).toContain(`grad_norm/${units[0]}`);
  });
});
