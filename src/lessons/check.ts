/**
 * The lesson check, like rustlings' check: turns a parsed lesson file into a typed `Lesson` and
 * judges it (front matter, questions, experiments and their configurations as the engine will
 * accept them, charts), and judges a course across files. Every problem names the file and line.
 * No file system here (load.ts reads the files). The rules live in check/, one job per module;
 * this is their public face.
 */
export { buildLesson, MIN_EXPERIMENTS, MIN_QUESTIONS, type BuildResult } from './check/build-lesson.js';
export { checkCourse } from './check/course.js';
export { optionName, PROBE_FIELDS, TRAIN_FIELDS } from './check/config-keys.js';
export type { CheckContext } from './check/fields.js';
export { FRONT_MATTER_FIELDS } from './check/front-matter.js';
export { expectedLabels } from './check/prediction-check.js';
export { MAX_RUNS } from './check/variants.js';
