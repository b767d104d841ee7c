import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { appendMetrics, RUN_FORMAT_VERSION, updateRunInfo } from '../../src/runs/run-dir.js';
import { UserError } from '../../src/util/errors.js';
import { Dashboard } from '../../src/ui/dashboard/Dashboard.js';
import type { Command } from '../../src/ui/dashboard/state.js';
import { RunFeed, subscribeFeeds, type WatchedRun } from '../../src/ui/watch-dashboard.js';
import { tempDir, waitFor } from '../helpers/cli.js';
import { fixtureLine, writeFixtureRun } from '../helpers/run-fixture.js';

/**
 * The read-only dashboard of `watch`, fed from a real run folder that grows while it is on screen
 * (written as the trainer writes it: metrics.jsonl lines appended, run.json replaced).
 */
const TITLE = 'mlp residual-bn d3 w32 on fashion-mnist';

function watchScreen(runs: WatchedRun[], columns = 100, rows = 30) {
  const commands: Command[] = [];
  const feeds = runs.map((r) => new RunFeed(r));
  const view = render(
    <Dashboard
      runs={runs}
      subscribe={subscribeFeeds(feeds, 30)}
      onCommand={(c) => commands.push(c)}
      color={false}
      unicode
      size={{ columns, rows }}
      now={() => 0}
      readOnly
    />,
  );
  const frame = () => view.lastFrame() ?? '';
  const screenShows = (what: string | RegExp, label = String(what)) =>
    waitFor(() => (typeof what === 'string' ? frame().includes(what) : what.test(frame())), 10_000, `the screen to show ${label}`);
  return { view, frame, screenShows, commands };
}

describe('watch dashboard (read-only, fed from the run folder)', () => {
  it('follows a growing run: new lines, the backend, the final status; p and c do nothing, q leaves', async () => {
    const root = tempDir('rt-watch-ui-');
    const id = '20260101-100000-mlp-residual-bn-d3';
    // Started, no backend chosen yet, no metrics.
    const path = writeFixtureRun(root, id, { lines: 0, info: { status: 'running', step: 0, backend: null, lastCheckpoint: null } });
    const { view, frame, screenShows, commands } = watchScreen([{ id, path, label: '', title: TITLE, batchSize: 64 }]);

    await screenShows(`watching run ${id}`);
    expect(frame()).toContain('starting the engine');
    expect(frame()).toContain('watching · l log · s/S smooth · ? help · q leave');
    expect(frame()).not.toMatch(/p pause|c ckpt/);

    appendMetrics(path, [fixtureLine(1), fixtureLine(2)]);
    updateRunInfo(path, {
      step: 10,
      backend: { name: 'wasm', device: 'CPU (wasm, SIMD, 1 thread)', usingGpu: false, attempts: [], warnings: [] },
    });
    await screenShows('10/40');
    await screenShows('wasm backend, CPU (wasm, SIMD, 1 thread)');
    expect(frame()).toMatch(/running\s*$/m);
    expect(frame()).toContain('loss 1.000');

    appendMetrics(path, [fixtureLine(3), fixtureLine(4)]);
    await screenShows('20/40');
    expect(frame()).toContain('loss 0.500');

    // Keys that act on training are not there: nothing is sent anywhere.
    view.stdin.write('p');
    view.stdin.write('c');
    view.stdin.write('?');
    await screenShows('Keys (watching: the run trains in another process and is not affected)');
    view.stdin.write('x'); // closes help
    await screenShows('[1 Loss]');
    expect(commands).toEqual([]);

    appendMetrics(
      path,
      [5, 6, 7, 8].map((i) => fixtureLine(i)),
    );
    updateRunInfo(path, { status: 'completed', step: 40, lastCheckpoint: 40 });
    await screenShows(/completed\s*$/m, 'completed');
    expect(frame()).toContain('40/40');

    view.stdin.write('q');
    await waitFor(() => commands.length > 0, 5_000, 'q');
    expect(commands).toEqual([{ type: 'exit-now' }]);
    view.unmount();
  });

  it('a resumed run cut back to its checkpoint redraws those steps instead of repeating them', async () => {
    const root = tempDir('rt-watch-ui-');
    const id = 'resumed';
    const path = writeFixtureRun(root, id, { lines: 6, info: { status: 'running', step: 30 } });
    const feed = new RunFeed({ id, path, label: '', title: TITLE, batchSize: 64 });
    const first = feed.poll();
    expect(first.map((e) => (e.type === 'worker' ? e.event.type : e.type))).toEqual(['metrics', 'started', 'checkpointed']);
    // The resume truncates metrics.jsonl to step 20 and writes steps 25 and 30 again.
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${path}/metrics.jsonl`, [1, 2, 3, 4].map((i) => `${JSON.stringify(fixtureLine(i))}\n`).join(''));
    expect(feed.poll().map((e) => (e.type === 'worker' && e.event.type === 'log' ? e.event.message : e.type))).toEqual([
      'metrics.jsonl was cut back to a checkpoint (the run was resumed); the charts redraw those steps.',
    ]);
    appendMetrics(path, [fixtureLine(5)]);
    const { reduce, initialState } = await import('../../src/ui/dashboard/state.js');
    let state = initialState([{ id, label: '', title: TITLE, batchSize: 64 }], 0, true);
    for (const e of [...first, ...feed.poll()]) state = reduce(state, e).state;
    expect(state.runs[0]!.lines.map((l) => l.step)).toEqual([5, 10, 15, 20, 25]);
  });

  it('overlays existing runs: one legend entry and one table row per run, named by the run', async () => {
    const root = tempDir('rt-watch-ui-');
    const a = writeFixtureRun(root, '20260101-100000-plain', { lines: 8, info: { status: 'completed' } });
    const b = writeFixtureRun(root, '20260101-110000-resnet', { lines: 4, info: { status: 'running', step: 20 } });
    const { frame, screenShows, view } = watchScreen([
      { id: '20260101-100000-plain', path: a, label: '100000-plain', title: TITLE, batchSize: 64 },
      { id: '20260101-110000-resnet', path: b, label: '110000-resnet', title: TITLE, batchSize: 64 },
    ]);
    await screenShows('100000-plain train');
    await screenShows('110000-resnet train');
    expect(frame()).toMatch(/^100000-plain +40\/40 .*completed$/m);
    expect(frame()).toMatch(/^110000-resnet +20\/40 .*running$/m);
    expect(frame()).toContain('watching 2 runs: 100000-plain vs 110000-resnet');
    view.unmount();
  });
});

describe('watch dashboard: a newer format appears while watching', () => {
  it('stops polling and hands the one-paragraph UserError to onError instead of throwing from the timer', async () => {
    const root = tempDir('rt-watch-ui-');
    const path = writeFixtureRun(root, 'r', { lines: 2, info: { status: 'running', step: 10 } });
    const feed = new RunFeed({ id: 'r', path, label: '', title: TITLE, batchSize: 64 });
    let polls = 0;
    const poll = feed.poll.bind(feed);
    feed.poll = () => {
      polls++;
      return poll();
    };
    const errors: unknown[] = [];
    const dispatched: string[] = [];
    const unsubscribe = subscribeFeeds([feed], 20, (e) => errors.push(e))((e) => dispatched.push(e.type));
    await waitFor(() => polls >= 2, 5_000, 'a second poll');
    expect(dispatched.length).toBeGreaterThan(0);
    const newer = RUN_FORMAT_VERSION + 1;
    appendFileSync(join(path, 'metrics.jsonl'), `${JSON.stringify({ ...fixtureLine(3), formatVersion: newer })}\n`);
    await waitFor(() => errors.length > 0, 5_000, 'the error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(UserError);
    expect((errors[0] as Error).message).toContain(
      `${join(path, 'metrics.jsonl')} was written by a newer resnet-tutor (run-folder format ${newer}`,
    );
    // No poll after the failure: wait for two more intervals' worth of a second feed's polls.
    const seen = polls;
    const other = new RunFeed({ id: 'r', path, label: '', title: TITLE, batchSize: 64 });
    let otherPolls = 0;
    other.poll = () => {
      otherPolls++;
      return [];
    };
    const stopOther = subscribeFeeds([other], 20)(() => {});
    await waitFor(() => otherPolls >= 3, 5_000, 'three polls of a healthy feed');
    stopOther();
    expect(polls).toBe(seen);
    unsubscribe();
  });
});

describe('watch dashboard clock', () => {
  it("counts from the run's creation, not from when watching began", async () => {
    const root = tempDir('rt-watch-ui-');
    const path = writeFixtureRun(root, 'r', { lines: 2, info: { status: 'running', step: 10 } });
    const view = render(
      <Dashboard
        runs={[{ id: 'r', label: '', title: TITLE, batchSize: 64 }]}
        subscribe={subscribeFeeds([new RunFeed({ id: 'r', path, label: '', title: TITLE, batchSize: 64 })], 30)}
        onCommand={() => {}}
        color={false}
        unicode
        size={{ columns: 100, rows: 30 }}
        now={() => 3_723_000}
        startedAt={0}
        readOnly
      />,
    );
    await waitFor(() => (view.lastFrame() ?? '').includes('10/40'), 10_000, 'the run');
    expect(view.lastFrame()).toMatch(/10\/40 .* 1:02:03 ETA/);
    view.unmount();
  });
});
