import { render } from 'ink-testing-library';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLessons } from '../../src/lessons/load.js';
import { LessonView } from '../../src/ui/tutor/LessonView.js';
import { initialTutorState, type TutorState } from '../../src/ui/tutor/state.js';

const LESSONS = resolve(import.meta.dirname, '../../lessons');

describe("the tutor draws a U-Net experiment's masks", () => {
  it("shows input, target and each run's prediction side by side when the runs are done", () => {
    const { lessons } = loadLessons(LESSONS);
    const index = lessons.findIndex((l) => l.id === 'architectures');
    const lesson = lessons[index]!;
    const step = lesson.steps.findIndex(
      (s) => s.kind === 'experiment' && s.experiment.kind === 'train' && s.experiment.show === 'segmentation',
    );
    expect(step).toBeGreaterThan(0);
    const square = Array.from({ length: 256 }, (_, i) =>
      Math.floor(i / 16) >= 4 && Math.floor(i / 16) < 12 && i % 16 >= 4 && i % 16 < 12 ? 1 : 0,
    );
    const example = { input: square.map((v) => v * 2 - 1), target: square, prediction: square.map((v) => v * 0.6) };
    const base = initialTutorState(lessons, {}, [], { lessonIndex: index });
    const state: TutorState = {
      ...base,
      step,
      experiment: {
        status: 'done',
        runs: [],
        message: '',
        probeText: '',
        measured: [
          { label: 'arch plain', value: 0.05 },
          { label: 'arch residual-bn', value: 0.03 },
        ],
        error: '',
        predictions: [
          { label: 'arch plain', shape: [16, 16], examples: [example] },
          { label: 'arch residual-bn', shape: [16, 16], examples: [{ ...example, prediction: square }] },
        ],
      },
    };
    for (const unicode of [true, false]) {
      const view = render(<LessonView state={state} lesson={lesson} columns={100} rows={40} color={false} unicode={unicode} />);
      const frame = view.lastFrame() ?? '';
      expect(frame).toContain('input            | target           | arch plain       | arch residual-bn');
      expect(frame).toContain(
        unicode
          ? '    ████████     |     ████████     |     ▒▒▒▒▒▒▒▒     |     ████████'
          : '    @@@@@@@@     |     @@@@@@@@     |     ::::::::     |     @@@@@@@@',
      );
      view.unmount();
    }
  });
});
