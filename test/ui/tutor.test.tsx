import { render } from 'ink-testing-library';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExperimentRunner } from '../../src/lessons/experiment-runner.js';
import { loadLessons } from '../../src/lessons/load.js';
import { ProgressStore } from '../../src/lessons/progress.js';
import { TutorApp } from '../../src/ui/tutor/TutorApp.js';
import type { TutorCommand, TutorEvent, TutorState } from '../../src/ui/tutor/state.js';
import { EngineHost } from '../../src/worker/engine-host.js';
import { ensureBuilt, tempDir, waitFor } from '../helpers/cli.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/lessons');
const tick = () => new Promise((r) => setTimeout(r, 40));

/** The tutor on the fixture course with a real progress store in a temporary folder. */
function setup(configDir: string, runner?: ExperimentRunner) {
  const { lessons } = loadLessons(FIXTURES);
  const tiny = lessons.filter((l) => l.id === 'tiny');
  const store = new ProgressStore({ cwd: configDir });
  const all = store.all();
  const progress = Object.fromEntries(tiny.map((l) => [l.id, { step: all[l.id]?.step ?? 0, completed: all[l.id]?.completed ?? false }]));
  const onCommand = (c: TutorCommand, dispatch: (e: TutorEvent) => void, state: TutorState) => {
    if (c.type === 'reach-step') store.reachStep(c.lessonId, c.step);
    if (c.type === 'complete') store.complete(c.lessonId);
    if (c.type === 'answer') store.answer(c.lessonId, c.key, c.given, c.correct);
    if (c.type === 'run-experiment' && runner) {
      const step = state.lessons[state.lessonIndex].steps[c.step];
      if (step.kind !== 'experiment') return;
      void runner
        .run(step.experiment, false, (u) => dispatch({ type: 'experiment', update: u }))
        .then((o) => dispatch({ type: 'experiment', update: { status: 'done', measured: o.measured } }))
        .catch((e: Error) => dispatch({ type: 'experiment', update: { status: 'failed', error: e.message } }));
    }
  };
  const view = render(
    <TutorApp
      lessons={tiny}
      progress={progress}
      problems={[]}
      onCommand={onCommand}
      color={false}
      unicode
      size={{ columns: 80, rows: 24 }}
    />,
  );
  const key = async (input: string) => {
    view.stdin.write(input);
    await tick();
  };
  return { view, key, store };
}

const RIGHT = '\u001b[C';
const LEFT = '\u001b[D';
const ENTER = '\r';

describe('tutor', () => {
  it('walks a lesson from first to last step, answering right and wrong, and remembers progress', async () => {
    const dir = tempDir();
    const { view, key, store } = setup(dir);
    expect(view.lastFrame()).toContain('1  A tiny lesson');
    await key(ENTER);
    let frame = view.lastFrame()!;
    expect(frame).toContain('Lesson 1 · A tiny lesson');
    expect(frame).toContain('step 1/8 · text');
    expect(frame).toContain('h₂ = h₁ + f₂[h₁, φ₂]');
    await key(RIGHT);
    expect(view.lastFrame()).toContain('h₁ = x + f₁[x, φ₁]');
    await key(RIGHT);
    frame = view.lastFrame()!;
    expect(frame).toContain('How many paths does a residual net with K = 3 blocks have?');
    // Wrong, then hint, retry, right.
    await key('b');
    await key(ENTER);
    expect(view.lastFrame()).toContain('Not quite: the answer is c.');
    expect(view.lastFrame()).toContain('2³ = 8 paths');
    await key('r');
    await key('h');
    expect(view.lastFrame()).toContain('Hint: Each block is taken or skipped.');
    await key('c');
    await key(ENTER);
    expect(view.lastFrame()).toContain('Right.');
    await key(RIGHT);
    // Multiple choice: toggle a, b, d, then b off.
    await key('a');
    await key('b');
    await key('d');
    await key('b');
    expect(view.lastFrame()).toContain('Your choices (toggle letters): a,d');
    await key(ENTER);
    expect(view.lastFrame()).toContain('Right.');
    await key(RIGHT);
    await key(ENTER);
    expect(view.lastFrame()).toContain('Type a number, then Enter');
    await key('1000');
    await key(ENTER);
    expect(view.lastFrame()).toContain('Not quite: the answer is 1024.');
    await key('r');
    await key('1024');
    await key(ENTER);
    expect(view.lastFrame()).toContain('Right.');
    await key(RIGHT);
    expect(view.lastFrame()).toContain('step 6/8 · experiment');
    expect(view.lastFrame()).toContain('Prediction (the lecture): The deeper plain net trains worse.');
    await key('s');
    expect(view.lastFrame()).toContain('Skipped.');
    await key(LEFT);
    expect(view.lastFrame()).toContain('step 5/8 · question');
    await key(RIGHT);
    await key(RIGHT);
    await key(RIGHT);
    expect(view.lastFrame()).toContain('• Residual blocks add their input back.');
    await key(RIGHT);
    expect(view.lastFrame()).toContain('✓  1  A tiny lesson');
    view.unmount();

    const saved = new ProgressStore({ cwd: dir }).lesson('tiny');
    expect(saved.completed).toBe(true);
    expect(Object.keys(saved.answers).length).toBe(3);
    expect(store.path.startsWith(dir)).toBe(true);
  });

  it('reopens a lesson at the step reached in an earlier session', async () => {
    const dir = tempDir();
    const first = setup(dir);
    await first.key(ENTER);
    await first.key(RIGHT);
    await first.key(RIGHT);
    await first.key('q');
    first.view.unmount();
    const second = setup(dir);
    expect(second.view.lastFrame()).toContain('step 3/8');
    await second.key(ENTER);
    expect(second.view.lastFrame()).toContain('step 3/8 · question');
    second.view.unmount();
  });

  it('runs an experiment step end to end in the engine worker and compares the outcome', async () => {
    ensureBuilt();
    const dir = tempDir();
    let host: EngineHost | null = null;
    const runner = new ExperimentRunner(() => (host ??= new EngineHost()), join(tempDir(), 'runs'), 'wasm');
    const { view, key } = setup(dir, runner);
    await key(ENTER);
    for (let i = 0; i < 5; i++) {
      view.stdin.write(view.lastFrame()!.includes('· question') ? '\u001b[C' : RIGHT);
      await tick();
    }
    expect(view.lastFrame()).toContain('step 6/8 · experiment');
    await key(ENTER);
    await waitFor(() => view.lastFrame()!.includes('Measured (final train loss)'), 90_000, 'the experiment to finish');
    const frame = view.lastFrame()!;
    expect(frame).toMatch(/Measured \(final train loss\): depth 2 \d\.\d+, depth 8 \d\.\d+\./);
    expect(frame).toContain('Prediction (the lecture): The deeper plain net trains worse.');
    view.unmount();
    await (host as EngineHost | null)?.close();
  });
});
