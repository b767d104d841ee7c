import { EventEmitter } from 'node:events';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLessons } from '../../src/lessons/load.js';
import { ProgressStore } from '../../src/stores/progress.js';
import { runTutor } from '../../src/ui/run-tutor.js';
import { EngineHost, engineHostPerKind } from '../../src/worker/engine-host.js';
import { ensureBuilt, tempDir, waitFor } from '../helpers/cli.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/lessons');

/** A terminal of a fixed size that keeps every frame Ink writes (Ink's debug mode writes whole frames). */
class Screen extends EventEmitter {
  readonly columns = 80;
  readonly rows = 24;
  readonly isTTY = true;
  frames: string[] = [];
  write = (frame: string) => {
    this.frames.push(frame);
    return true;
  };
  last = () => this.frames[this.frames.length - 1] ?? '';
}

class Keyboard extends EventEmitter {
  readonly isTTY = true;
  private data: string | null = null;
  press = (data: string) => {
    this.data = data;
    this.emit('readable');
    this.emit('data', data);
  };
  read = () => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
}

const ENTER = '\r';

/** The composition root itself: the real runner, engine worker and progress store, on fake streams. */
describe('runTutor', () => {
  it('runs an experiment, saves and shows its results, draws the chart step from them, and quits', async () => {
    ensureBuilt();
    const configDir = tempDir();
    const lessons = loadLessons(FIXTURES).lessons.filter((l) => l.id === 'tiny');
    const screen = new Screen();
    const keys = new Keyboard();
    const press = async (k: string, until: (frame: string) => boolean, what: string) => {
      keys.press(k);
      await waitFor(() => until(screen.last()), 30_000, what);
    };
    // Each engine worker the tutor starts, and whether it was closed (wasm memory never shrinks, so
    // the tutor ends the worker once an experiment is over).
    const made: { closed: boolean }[] = [];
    const hosts = engineHostPerKind(() => {
      const host = new EngineHost();
      const entry = { closed: false };
      made.push(entry);
      const close = host.close.bind(host);
      host.close = () => {
        entry.closed = true;
        return close();
      };
      return host;
    });
    const done = runTutor({
      hosts,
      lessons,
      problems: [],
      openStore: async () => new ProgressStore({ cwd: configDir }),
      initial: { tiny: { step: 5, completed: false } },
      open: 0,
      runRoot: join(tempDir(), 'runs'),
      backend: 'wasm',
      full: false,
      color: false,
      unicode: true,
      io: { stdout: screen as unknown as NodeJS.WriteStream, stdin: keys as unknown as NodeJS.ReadStream, debug: true },
    });
    await waitFor(() => screen.last().includes('step 6/8 · experiment'), 10_000, 'the experiment step');
    await press(ENTER, (f) => f.includes('Measured (final train loss)'), 'the experiment to finish');
    // Every frame of the run: never taller than the terminal, never wider, the header always on top.
    for (const frame of screen.frames.filter((f) => f.includes('step 6/8'))) {
      const lines = frame.split('\n');
      expect(lines.length).toBeLessThanOrEqual(23);
      expect(lines[0]).toMatch(/^Lesson 1 · A tiny lesson/);
      for (const l of lines) expect([...l].length).toBeLessThan(80);
    }
    // The runner judges the fixture's `check:`; whichever way it went, the verdict and the numbers show.
    expect(screen.last()).toMatch(/\[(HELD|DID NOT HOLD|UNDECIDED)\] /);
    expect(screen.last()).toMatch(/depth 2: \d\.\d+ nats/);
    expect(screen.last()).toMatch(/depth 8: \d\.\d+ nats/);
    // The result is on screen only after the worker that computed it was closed.
    expect(made.map((m) => m.closed)).toEqual([true]);
    // Running it again starts a fresh worker, which is closed in turn.
    keys.press('r');
    await waitFor(() => made[1]?.closed === true, 60_000, 'the second run to finish and close its worker');
    await waitFor(() => screen.last().includes('Measured (final train loss)'), 10_000, 'the second result');
    expect(made.map((m) => m.closed)).toEqual([true, true]);
    await press(ENTER, (f) => f.includes('step 7/8 · chart'), 'the chart step');
    const chart = screen.last();
    expect(chart).toContain('── depth 2');
    expect(chart).toContain('·· depth 8');
    expect(chart).toMatch(/step \d+ +step 20/);
    keys.press('q');
    await waitFor(() => screen.last().includes('Enter open'), 5_000, 'the menu');
    keys.press('q');
    expect(await done).toBe(0);
    const saved = new ProgressStore({ cwd: configDir }).lesson('tiny');
    expect(Object.keys(saved.experiments.depth?.measured ?? {})).toEqual(['depth 2', 'depth 8']);
    expect(saved.step).toBe(6);
  }, 120_000);

  it('keeps going when progress cannot be saved, says so in one line, and saves it all at the next step', async () => {
    // A real failing write: the progress folder is replaced by a plain file after the store opened
    // (as a disk that fills or turns read-only would fail it; permissions do not stop root).
    const configDir = join(tempDir(), 'config');
    mkdirSync(configDir);
    const lessons = loadLessons(FIXTURES).lessons.filter((l) => l.id === 'tiny');
    const screen = new Screen();
    const keys = new Keyboard();
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown) => unhandled.push(err);
    process.on('unhandledRejection', onUnhandled);
    try {
      const done = runTutor({
        lessons,
        problems: [],
        openStore: async () => new ProgressStore({ cwd: configDir }),
        initial: {},
        open: 0,
        runRoot: join(tempDir(), 'runs'),
        backend: 'wasm',
        full: false,
        color: false,
        unicode: true,
        io: { stdout: screen as unknown as NodeJS.WriteStream, stdin: keys as unknown as NodeJS.ReadStream, debug: true },
      });
      await waitFor(() => screen.last().includes('step 1/8'), 10_000, 'the first step');
      keys.press(ENTER);
      await waitFor(() => screen.last().includes('step 2/8'), 10_000, 'step 2');
      keys.press(ENTER);
      await waitFor(() => screen.last().includes('step 3/8'), 10_000, 'the question');
      // The store is open and has saved; now the folder is taken away, and the answer cannot be saved.
      rmSync(configDir, { recursive: true });
      writeFileSync(configDir, 'not a folder');
      keys.press('c');
      await waitFor(() => screen.last().includes('Your choice: c'), 10_000, 'the choice');
      keys.press(ENTER);
      await waitFor(() => screen.last().includes('Progress could not be saved'), 10_000, 'the warning');
      const warned = screen.last();
      expect(warned).toContain('Right.');
      // One line, under the lesson, and the frame still fits the terminal.
      expect(warned.split('\n').filter((l) => l.includes('Progress could not be saved'))).toHaveLength(1);
      expect(warned.split('\n').length).toBeLessThanOrEqual(23);
      // The disk is back: the next step saves the answer that failed too, and the warning goes.
      rmSync(configDir);
      mkdirSync(configDir);
      keys.press(ENTER);
      await waitFor(() => screen.last().includes('step 4/8') && !screen.last().includes('Progress could not'), 10_000, 'step 4 saved');
      keys.press('q');
      await waitFor(() => screen.last().includes('Enter open'), 5_000, 'the menu');
      keys.press('q');
      expect(await done).toBe(0);
      const saved = new ProgressStore({ cwd: configDir }).lesson('tiny');
      expect(saved.step).toBe(3);
      expect(Object.values(saved.answers).map((a) => a.given)).toEqual(['c']);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
