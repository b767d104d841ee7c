import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { loadLessons } from '../../src/lessons/load.js';
import type { Lesson } from '../../src/lessons/types.js';
import { bodyLines } from '../../src/ui/tutor/body.js';
import { LessonView } from '../../src/ui/tutor/LessonView.js';
import { initialTutorState, type TutorState } from '../../src/ui/tutor/state.js';
import { gradeAnswer } from '../../src/lessons/grade.js';
import { fitLine } from '../../src/ui/tutor/fit.js';
import { lessonProse, proseLines } from '../../src/ui/tutor/step-text.js';

/**
 * Every step of every shipped lesson as the tutor prints it: under an ASCII charset (LANG=C) no
 * frame holds a non-ASCII character, at any scroll position; in either charset no LaTeX is left raw.
 */
const { lessons } = loadLessons();

/** The states a step is seen in: as opened, and for a question also with the hint and the answer shown. */
function statesOf(lesson: Lesson, index: number): TutorState[] {
  const base = initialTutorState([lesson], { [lesson.id]: { step: index, completed: false } }, [], { lessonIndex: 0 });
  const step = lesson.steps[index]!;
  if (step.kind !== 'question') return [base];
  const q = step.question;
  const given = q.type === 'numeric' ? String(q.answer) : q.type === 'single' ? q.answer.label : q.answers.map((a) => a.label).join(',');
  const grade = gradeAnswer(q, given);
  return [
    base,
    { ...base, hint: true, feedback: { kind: 'try-again', given: 'x' } },
    { ...base, input: given, feedback: { kind: 'graded', correct: false, expected: grade.valid ? grade.expected : given, given } },
  ];
}

const steps = lessons.flatMap((lesson) =>
  lesson.steps.map((step, index) => ({ lesson, index, name: `lesson ${lesson.number} step ${index + 1} (${step.kind})` })),
);

describe('lesson text as printed', () => {
  it.each(steps)('$name: ASCII only under LANG=C, on every page', ({ lesson, index }) => {
    for (const state of statesOf(lesson, index)) {
      let layout = { maxScroll: 0, page: 1 };
      const frame = (scroll: number) => {
        const view = render(
          <LessonView
            state={{ ...state, scroll }}
            lesson={lesson}
            columns={80}
            rows={23}
            color={false}
            unicode={false}
            onLayout={(maxScroll, page) => (layout = { maxScroll, page })}
          />,
        );
        const f = view.lastFrame() ?? '';
        view.unmount();
        return f;
      };
      const frames = [frame(0)];
      for (let s = layout.page; s <= layout.maxScroll + layout.page - 1; s += layout.page)
        frames.push(frame(Math.min(s, layout.maxScroll)));
      for (const f of frames) {
        expect(f.match(/.{0,30}[^\x00-\x7e].{0,10}/)?.[0] ?? '', f).toBe('');
        for (const l of f.split('\n')) expect(l.length, f).toBeLessThan(80);
      }
    }
  });

  it.each(steps)('$name: no raw LaTeX', ({ lesson, index }) => {
    for (const charset of ['unicode', 'ascii'] as const) {
      for (const state of statesOf(lesson, index)) {
        const text = bodyLines(state, lesson, 79, 20, { color: false, unicode: charset === 'unicode', charset })
          .map((l) => l.text)
          .join('\n');
        expect(text.match(/.{0,30}(\\[A-Za-z]|_\{|\^\{).{0,10}/)?.[0] ?? '', charset).toBe('');
        // In Unicode a power is a superscript: a caret left is math that missed its dollar signs.
        if (charset === 'unicode') expect(text.match(/.{0,30}[A-Za-z0-9)]\^[0-9A-Za-z{(].{0,10}/)?.[0] ?? '').toBe('');
      }
    }
  });
});

describe('powers written in prose', () => {
  it('read as powers: 2^16 is 2¹⁶ in Unicode and stays 2^16 in ASCII; code is left as typed', () => {
    expect(proseLines(lessonProse('about 2^16 times, `x^2` in code, $2^K$'), 80, 'unicode')).toEqual(['about 2¹⁶ times, x^2 in code, 2ᴷ']);
    expect(proseLines(lessonProse('about 2^16 times'), 80, 'ascii')).toEqual(['about 2^16 times']);
    // What a learner typed is not lesson prose: it is shown as typed.
    expect(proseLines('"2^10" is not a number', 80, 'unicode')).toEqual(['"2^10" is not a number']);
  });
});

describe('messages', () => {
  const lesson = lessons[0]!;
  const index = lesson.steps.findIndex((s) => s.kind === 'experiment');
  const base = initialTutorState([lesson], { [lesson.id]: { step: index, completed: false } }, [], { lessonIndex: 0 });
  const body = (state: TutorState) =>
    bodyLines(state, lesson, 79, 20, { color: false, unicode: true, charset: 'unicode' })
      .map((l) => l.text)
      .join(' ');

  it('a failed experiment ends its error with one full stop', () => {
    const text = body({ ...base, experiment: { ...base.experiment!, status: 'failed', error: 'The run failed: out of memory.' } });
    expect(text).toContain('The experiment failed: The run failed: out of memory. Enter tries again.');
    expect(text).not.toContain('..');
  });

  it('a finished experiment that measured nothing says so in a sentence', () => {
    const text = body({ ...base, experiment: { ...base.experiment!, status: 'done', measured: [] } });
    expect(text).toMatch(/Nothing was measured: the experiment produced no final train loss/);
    expect(text).not.toMatch(/: \./);
  });
});

describe('ASCII lines', () => {
  it('convert before clipping: the clip mark is ASCII, a power stays readable, the width holds', () => {
    expect(fitLine('E[h²] of each block → out', 80, false)).toBe('E[h^2] of each block -> out');
    const clipped = fitLine('go back (← or b) and press Enter there to run it', 20, false);
    expect(clipped).toBe('go back (<- or b)...');
    expect(clipped.length).toBe(20);
    expect(fitLine('go back (← or b)', 12, true)).toBe('go back (← …');
  });
});
