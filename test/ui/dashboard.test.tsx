import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { MetricsLine } from '../../src/contracts/run-folder.js';
import { Dashboard, RENDER_INTERVAL_MS } from '../../src/ui/dashboard/Dashboard.js';
import type { Command, DashboardEvent } from '../../src/ui/dashboard/state.js';
import type { RunEvent } from '../../src/contracts/engine-protocol.js';

const RUN = { id: '20261128-120000-mlp-residual-bn-d4', label: '', title: 'mlp residual-bn d4 w64 on fashion-mnist', batchSize: 64 };
const UNITS = ['stem', 'block1', 'block2', 'block3', 'block4', 'head'];
const BACKEND = { name: 'wasm', device: 'CPU (wasm, SIMD, 1 thread)', usingGpu: false, attempts: [], warnings: [] };

function line(step: number): MetricsLine {
  return {
    step,
    epoch: step / 100,
    loss: 2.3 * Math.exp(-step / 80) + 0.3,
    accuracy: 0.1 + 0.8 * (1 - Math.exp(-step / 60)),
    lr: 0.05,
    gradNorms: UNITS.map((_, u) => 1 / (u + 1)),
    activationVariances: UNITS.map((_, u) => 0.5 + u),
    samplesPerSecond: 1000,
    time: '2026-11-28T12:00:00.000Z',
    ...(step % 100 === 0 ? { valLoss: 2.3 * Math.exp(-step / 90) + 0.35, valAccuracy: 0.7 } : {}),
  };
}

/** Renders the dashboard with a scripted event stream; returns helpers to drive it. */
function setup(columns: number, rows: number, runs = [RUN], unicode = true) {
  let dispatch: (e: DashboardEvent) => void = () => {};
  const commands: Command[] = [];
  const view = render(
    <Dashboard
      runs={runs}
      subscribe={(d) => {
        dispatch = d;
        return () => {};
      }}
      onCommand={(c) => commands.push(c)}
      color={false}
      unicode={unicode}
      size={{ columns, rows }}
      now={() => 0}
    />,
  );
  const send = async (event: RunEvent) => {
    dispatch({ type: 'worker', event });
    // Worker events reach the screen in batches (RENDER_INTERVAL_MS).
    await new Promise((r) => setTimeout(r, RENDER_INTERVAL_MS + 50));
  };
  const key = async (input: string) => {
    view.stdin.write(input);
    await tick();
  };
  return { view, send, key, commands };
}

const tick = () => new Promise((r) => setTimeout(r, 30));

async function started(send: (e: RunEvent) => Promise<void>, id = RUN.id) {
  await send({
    type: 'started',
    runId: id,
    backend: BACKEND,
    units: UNITS,
    progress: { step: 0, totalSteps: 1000, stepsPerEpoch: 100, epoch: 0 },
    resumedFrom: null,
    skipped: [],
    parameterCount: 1000,
  });
}

function checkFits(frame: string, columns: number, rows: number) {
  const lines = frame.split('\n');
  expect(lines.length).toBeLessThan(rows); // one line kept free: Ink redraws everything at full height
  for (const l of lines) expect([...l].length).toBeLessThanOrEqual(columns);
}

describe('Dashboard', () => {
  for (const [columns, rows] of [
    [80, 24],
    [160, 48],
  ] as const) {
    it(`at ${columns}x${rows} shows header, progress, charts with axes and legends, and the footer`, async () => {
      const { view, send } = setup(columns, rows);
      await started(send);
      await send({ type: 'metrics', runId: RUN.id, lines: Array.from({ length: 30 }, (_, i) => line((i + 1) * 10)) });
      const frame = view.lastFrame()!;
      if (process.env.SHOW) console.log(frame);
      checkFits(frame, columns, rows);
      expect(frame).toContain(`run ${RUN.id}`);
      expect(frame).toContain('running');
      expect(frame).toContain('wasm backend, CPU (wasm');
      expect(frame).toMatch(/300\/1000 ep 3\.00 loss 0\.\d{3} acc \d+\.\d% 1000\/s/);
      expect(frame).toContain('Loss');
      expect(frame).toContain('── train loss');
      // Without colour each series has its own line character.
      expect(frame).toContain('·· val loss');
      expect(frame).toContain('Accuracy (%)');
      expect(frame).toContain('step 10');
      expect(frame).toContain('step 300');
      expect(frame).toMatch(/┤/); // y axis
      expect(frame).toContain('[1 Loss]');
      // The footer is the last line: the panel tabs, then every key (spelt out when they fit).
      const footer = frame.split('\n').at(-1)!;
      expect(footer).toMatch(/^\[1 Loss\] 2 Gradients {2}3 Variance {2}4 System /);
      expect(footer.trimEnd()).toMatch(columns >= 160 ? /p pause · c ckpt · l log · s\/S smooth · \? help · q quit$/ : / p c l s\/S \? q$/);
      view.unmount();
    });
  }

  it('keys switch panels, toggle log scale and smoothing, open help, and ask before quitting', async () => {
    const { view, send, key, commands } = setup(80, 24);
    await started(send);
    await send({ type: 'metrics', runId: RUN.id, lines: Array.from({ length: 20 }, (_, i) => line((i + 1) * 10)) });
    await key('2');
    expect(view.lastFrame()).toContain('Gradient norm per block over steps (log)');
    expect(view.lastFrame()).toContain('── stem');
    expect(view.lastFrame()).toContain('[2 Gradients]');
    await key('3');
    expect(view.lastFrame()).toContain('Activation variance across depth');
    await key('\t');
    expect(view.lastFrame()).toContain('[4 System]');
    expect(view.lastFrame()).toContain('Learning rate');
    await key('1');
    await key('l');
    expect(view.lastFrame()).toContain('Loss (log scale)');
    await key('S');
    expect(view.lastFrame()).toContain('EMA 0.6');
    await key('s');
    expect(view.lastFrame()).not.toContain('EMA');
    await key('?');
    expect(view.lastFrame()).toContain('pause or resume training');
    await key('x');
    expect(view.lastFrame()).not.toContain('pause or resume training');
    await key('p');
    expect(commands).toContainEqual({ type: 'pause', runIds: [RUN.id] });
    await send({
      type: 'status',
      runId: RUN.id,
      status: 'paused',
      progress: { step: 200, totalSteps: 1000, stepsPerEpoch: 100, epoch: 2 },
    });
    expect(view.lastFrame()).toContain('paused');
    await key('p');
    expect(commands).toContainEqual({ type: 'resume', runIds: [RUN.id] });
    await key('c');
    expect(commands).toContainEqual({ type: 'checkpoint', runIds: [RUN.id] });
    await key('q');
    expect(view.lastFrame()).toContain('Quit? s = stop with a checkpoint · b = keep training in the background');
    await key('\u001b');
    await tick();
    expect(view.lastFrame()).not.toContain('Quit?');
    await key('q');
    await key('b');
    expect(commands).toContainEqual({ type: 'stop', runIds: [RUN.id], background: true });
    view.unmount();
  });

  it('shows divergence and worker failure as messages, not stack traces', async () => {
    const { view, send } = setup(80, 24);
    await started(send);
    await send({ type: 'metrics', runId: RUN.id, lines: [line(10)] });
    await send({
      type: 'done',
      runId: RUN.id,
      status: 'diverged',
      progress: { step: 12, totalSteps: 1000, stepsPerEpoch: 100, epoch: 0.12 },
      divergence: { step: 12, where: 'block3', what: 'activation' },
      reason: 'training diverged at step 12',
    });
    let frame = view.lastFrame()!;
    checkFits(frame, 80, 24);
    expect(frame).toContain('diverged at step 12: the activation of block3 became NaN/Inf');
    expect(frame).toContain('resnet-tutor learn 6');
    view.unmount();

    const second = setup(80, 24);
    await started(second.send);
    await second.send({
      type: 'error',
      runId: RUN.id,
      message: 'the engine worker ran out of memory (try a smaller --batch-size or --width). The run is marked failed',
      user: false,
    });
    await second.send({
      type: 'done',
      runId: RUN.id,
      status: 'failed',
      progress: { step: 0, totalSteps: 0, stepsPerEpoch: 1, epoch: 0 },
      reason: 'out of memory',
    });
    frame = second.view.lastFrame()!;
    expect(frame).toContain('failed: the engine worker ran out of memory');
    expect(frame).not.toMatch(/\n\s+at /);
    second.view.unmount();
  });

  it('overlays compared runs with one legend entry each and a table of their numbers', async () => {
    const runs = [
      { ...RUN, id: 'a', label: 'plain', title: 'mlp plain d4 w64 on fashion-mnist' },
      { ...RUN, id: 'b', label: 'residual-bn', title: 'mlp residual-bn d4 w64 on fashion-mnist' },
    ];
    const { view, send } = setup(80, 24, runs);
    for (const r of runs) await started(send, r.id);
    for (const r of runs) await send({ type: 'metrics', runId: r.id, lines: Array.from({ length: 10 }, (_, i) => line((i + 1) * 10)) });
    const frame = view.lastFrame()!;
    if (process.env.SHOW) console.log(frame);
    checkFits(frame, 80, 24);
    expect(frame).toContain('compare 2 runs: plain vs residual-bn');
    expect(frame).toContain('mlp * d4 w64 on fashion-mnist');
    expect(frame).toContain('── plain train');
    expect(frame).toContain('·· residual-bn train');
    expect(frame).toMatch(/plain\s+100\/1000/);
    expect(frame).toMatch(/residual-bn\s+100\/1000/);
    view.unmount();
  });

  it('draws only ASCII when the locale is not UTF-8', async () => {
    const { view, send, key } = setup(80, 24, [RUN], false);
    await started(send);
    await send({ type: 'metrics', runId: RUN.id, lines: Array.from({ length: 20 }, (_, i) => line((i + 1) * 10)) });
    for (const panel of ['1', '2', '3', '4', 'q']) {
      await key(panel);
      expect(view.lastFrame()).toMatch(/^[\x20-\x7e\n]*$/);
    }
    expect(view.lastFrame()).toContain('Loss');
    view.unmount();
  });

  it('says so when the terminal is too small', () => {
    const { view } = setup(50, 12);
    expect(view.lastFrame()).toContain('Terminal too small (50x12)');
    view.unmount();
  });
});
