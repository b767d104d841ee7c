import { render } from 'ink-testing-library';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLessons } from '../../src/lessons/load.js';
import { ProgressStore } from '../../src/stores/progress.js';
import { TutorApp } from '../../src/ui/tutor/TutorApp.js';
import type { TutorCommand } from '../../src/ui/tutor/state.js';
import { tempDir } from '../helpers/cli.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/lessons');
const tick = () => new Promise((r) => setTimeout(r, 40));

/** The tutor on the fixture course with a real progress store in a temporary folder. */
/** Progress only: the composition root with its experiment runner is tested in run-tutor.test.tsx. */
function setup(configDir: string) {
  const { lessons } = loadLessons(FIXTURES);
  const tiny = lessons.filter((l) => l.id === 'tiny');
  const store = new ProgressStore({ cwd: configDir });
  const all = store.all();
  const progress = Object.fromEntries(tiny.map((l) => [l.id, { step: all[l.id]?.step ?? 0, completed: all[l.id]?.completed ?? false }]));
  const onCommand = (c: TutorCommand) => {
    if (c.type === 'reach-step') store.reachStep(c.lessonId, c.step);
    if (c.type === 'complete') store.complete(c.lessonId);
    if (c.type === 'answer') store.answer(c.lessonId, c.key, c.given, c.correct);
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
    // The first wrong answer shows the hint and asks again; the second gives the answer away.
    await key('b');
    await key(ENTER);
    expect(view.lastFrame()).toContain('Not yet: b is not it.');
    expect(view.lastFrame()).toContain('Hint: Each block is taken or skipped.');
    expect(view.lastFrame()).not.toContain('the answer is c');
    await key('a');
    await key(ENTER);
    expect(view.lastFrame()).toContain('Not quite: the answer is c.');
    expect(view.lastFrame()).toContain('2³ = 8 paths');
    await key('r');
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
    // Characters a number cannot have are refused with a message, never dropped; b is text here.
    await key('2^10');
    expect(view.lastFrame()).toContain('Your answer (paths): 2^10_');
    await key(ENTER);
    expect(view.lastFrame()).toContain('"2^10" is not a number the tutor can read');
    for (let i = 0; i < 4; i++) await key('\u007f');
    await key('1b');
    expect(view.lastFrame()).toContain('step 5/8 · question');
    expect(view.lastFrame()).toContain('Your answer (paths): 1b_');
    await key('\u007f');
    await key('\u007f');
    await key('1000');
    await key(ENTER);
    expect(view.lastFrame()).toContain('Not yet: 1000 is not it.');
    await key('1024');
    await key(ENTER);
    expect(view.lastFrame()).toContain('Right.');
    await key(RIGHT);
    expect(view.lastFrame()).toContain('step 6/8 · experiment');
    expect(view.lastFrame()).toContain('Prediction (the lecture): The deeper plain net trains worse.');
    await key('?');
    expect(view.lastFrame()).toContain('Keys (any key closes this help)');
    await key('x');
    await key('s');
    expect(view.lastFrame()).toContain('Skipped.');
    await key(LEFT);
    // Back on an answered question: the answer given, and the verdict on it.
    expect(view.lastFrame()).toContain('step 5/8 · question');
    expect(view.lastFrame()).toContain('Your answer (paths): 1024');
    expect(view.lastFrame()).toContain('Right.');
    await key(RIGHT);
    await key('s');
    // Enter moves on from a skipped experiment.
    await key(ENTER);
    expect(view.lastFrame()).toContain('step 7/8 · chart');
    expect(view.lastFrame()!.replace(/\s+/g, ' ')).toContain('has not run yet: go back to step 6');
    await key(RIGHT);
    expect(view.lastFrame()).toContain('• Residual blocks add their input back.');
    await key(RIGHT);
    expect(view.lastFrame()).toContain('✓  1  A tiny lesson');
    view.unmount();

    const saved = new ProgressStore({ cwd: dir }).lesson('tiny');
    expect(saved.completed).toBe(true);
    expect(Object.keys(saved.answers).length).toBe(3);
    expect(saved.answers['step-5']).toMatchObject({ correct: true, attempts: 2, firstTry: false, given: '1024' });
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
});
