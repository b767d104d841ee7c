/**
 * Turns a parsed lesson file into a typed `Lesson`: its front matter, its steps one by one (ids
 * unique within the lesson, charts only of earlier experiments), and the course's rule of at least
 * one experiment and three questions per lesson.
 */
import { fieldText, type RawLesson } from '../parse.js';
import type { Experiment, Lesson, Problem, Step } from '../types.js';
import { Reporter, type CheckContext } from './fields.js';
import { checkFrontMatter } from './front-matter.js';
import { buildStep } from './steps.js';

/** The course's rule (the product requirement): every lesson asks and runs at least this much. */
export const MIN_QUESTIONS = 3;
export const MIN_EXPERIMENTS = 1;

export interface BuildResult {
  /** Null when the file has errors (warnings alone still give a lesson). */
  readonly lesson: Lesson | null;
  readonly problems: Problem[];
}

/** Builds and checks one lesson from its parsed form. */
export function buildLesson(raw: RawLesson, ctx: CheckContext): BuildResult {
  const r = new Reporter(ctx.file);
  const front = checkFrontMatter(raw, ctx, r);
  const steps = buildSteps(raw, r, ctx);

  const questions = steps.filter((s) => s.kind === 'question').length;
  const exps = steps.filter((s) => s.kind === 'experiment').length;
  if (raw.steps.length === 0) r.error(raw.frontMatterLine, 'lesson has no steps: add steps such as `::: text` ... `:::` after the front matter');
  if (questions < MIN_QUESTIONS) {
    r.error(
      raw.frontMatterLine,
      `lesson has ${questions} question${questions === 1 ? '' : 's'}; every lesson needs at least ${MIN_QUESTIONS} (add \`::: question\` steps)`,
    );
  }
  if (exps < MIN_EXPERIMENTS) {
    r.error(raw.frontMatterLine, `lesson has no experiment; every lesson needs at least ${MIN_EXPERIMENTS} (add a \`::: experiment\` step)`);
  }

  if (r.errors > 0) return { lesson: null, problems: r.problems };
  const lesson: Lesson = {
    format: front.format,
    id: front.id,
    number: front.number,
    title: fieldText(front.fields.get('title')!),
    summary: fieldText(front.fields.get('summary')!),
    minutes: front.minutes,
    file: ctx.file,
    path: ctx.path,
    fieldLines: Object.fromEntries(raw.frontMatter.map((f) => [f.key, f.line])),
    steps,
  };
  return { lesson, problems: r.problems };
}

/** The steps that built, in order; a chart sees the experiments before it. */
function buildSteps(raw: RawLesson, r: Reporter, ctx: CheckContext): Step[] {
  const steps: Step[] = [];
  const keys = new Map<string, number>();
  const experiments = new Map<string, Experiment>();
  // Keys of experiment steps seen so far, built or not: a chart of a broken experiment is not a second error.
  const declared = new Set<string>();
  raw.steps.forEach((s, index) => {
    const step = buildStep(s, index, r, ctx, { experiments, declared });
    if (s.kind === 'experiment') {
      const id = s.fields.find((f) => f.key === 'id');
      declared.add(id ? fieldText(id) : `step-${index + 1}`);
    }
    if (!step) return;
    const key = step.kind === 'question' ? step.question.key : step.kind === 'experiment' ? step.experiment.key : null;
    if (key) {
      const first = keys.get(key);
      if (first !== undefined) r.error(step.line, `id "${key}" is used twice in this lesson (first at line ${first})`);
      else keys.set(key, step.line);
    }
    if (step.kind === 'experiment') experiments.set(step.experiment.key, step.experiment);
    steps.push(step);
  });
  return steps;
}
