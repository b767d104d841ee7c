import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildLesson } from '../../src/lessons/check/build-lesson.js';
import { gradeAnswer } from '../../src/lessons/grade.js';
import { checkLessonsAt, defaultLessonsDir, loadLessonFile, loadLessons } from '../../src/lessons/load.js';
import { parseLesson } from '../../src/lessons/parse.js';
import { renderInline, renderMath } from '../../src/lessons/math.js';
import {
  COST_LIMIT_SECONDS,
  formatProblem,
  type ExperimentStep,
  type Lesson,
  type Question,
  type TrainExperiment,
} from '../../src/lessons/types.js';

const root = join(import.meta.dirname, '..', '..');
const fixtures = join(root, 'test', 'fixtures', 'lessons');
const temp = mkdtempSync(join(tmpdir(), 'rt-lessons-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const questions = (l: Lesson) => l.steps.flatMap((s) => (s.kind === 'question' ? [s.question] : []));
const experiments = (l: Lesson) => l.steps.flatMap((s) => (s.kind === 'experiment' ? [s.experiment] : []));

// ---------------------------------------------------------------------------------------------
// The fixture course.

describe('the fixture course', () => {
  const result = loadLessons(fixtures, root);
  const byFile = (name: string) => result.problems.filter((p) => p.file.endsWith(name)).map(formatProblem);

  it('loads the good lesson and leaves every broken one out', () => {
    expect(result.files).toHaveLength(8);
    expect(result.lessons.map((l) => l.id)).toEqual(['tiny']);
    expect(result.problems.filter((p) => p.file.endsWith('01-tiny.md'))).toEqual([]);
  });

  it('names file and line of each specific problem', () => {
    const f = 'test/fixtures/lessons/';
    expect(byFile('02-bad-front-matter.md')).toEqual([
      `${f}02-bad-front-matter.md:1: front matter has no \`minutes\``,
      `${f}02-bad-front-matter.md:2: format 2 is newer than this resnet-tutor understands (format 1): update resnet-tutor`,
    ]);
    expect(byFile('03-unknown-step.md')).toEqual([
      `${f}03-unknown-step.md:10: unknown step kind "quiz" (known: text, math, question, experiment, chart, summary)`,
    ]);
    expect(byFile('04-no-answer.md')).toEqual([`${f}04-no-answer.md:10: question has no answer: add \`answer: <label>\``]);
    expect(byFile('05-answer-not-option.md')).toEqual([
      `${f}05-answer-not-option.md:18: question has no answer among its options (answer "e", options a-d)`,
    ]);
    expect(byFile('06-bad-config.md')).toEqual([
      `${f}06-bad-config.md:14: \`depth\` must be an integer at least 1 and at most 1202; got "0"`,
      `${f}06-bad-config.md:26: unknown data set "imagenet" (known: fashion-mnist, mnist, cifar10, synthetic-1d, synthetic-spiral, synthetic-shapes, synthetic-segment)`,
      `${f}06-bad-config.md:38: \`net: cnn\` needs image data, but synthetic-spiral has examples of shape [2]: use \`net: mlp\`, or fashion-mnist, mnist or cifar10`,
    ]);
    expect(byFile('07-unclosed.md')).toEqual([
      `${f}07-unclosed.md:10: the text step opened here is not closed: add a \`:::\` line before the next step (line 13)`,
    ]);
  });

  it('builds the typed lesson: questions, experiment runs, the full variant, the chart', () => {
    const tiny = result.lessons[0]!;
    expect(tiny).toMatchObject({ format: 1, id: 'tiny', number: 1, title: 'A tiny lesson', minutes: 5, file: 'test/fixtures/lessons/01-tiny.md' });
    expect(tiny.fieldLines).toMatchObject({ id: 3, number: 4 });
    expect(tiny.steps.map((s) => s.kind)).toEqual(['text', 'math', 'question', 'question', 'question', 'experiment', 'chart', 'summary']);
    const [single, multiple, numeric] = questions(tiny) as [Question, Question, Question];
    expect(single).toMatchObject({ type: 'single', key: 'step-3', answer: { index: 2, label: 'c' }, line: 23 });
    expect(single.type === 'single' && single.options.map((o) => `${o.label}@${o.line}`)).toEqual(['a@27', 'b@28', 'c@29', 'd@30']);
    expect(single.explain).toBe('Each of the 3 blocks is on a path or not, so there are $2^3 = 8$ paths.');
    expect(multiple).toMatchObject({ type: 'multiple', key: 'which-train', answers: [{ index: 0, label: 'a' }, { index: 3, label: 'd' }] });
    expect(multiple.type === 'multiple' && multiple.options.map((o) => o.label)).toEqual(['a', 'b', 'c', 'd']);
    expect(numeric).toMatchObject({ type: 'numeric', answer: 1024, tolerance: 0.5, unit: 'paths' });

    const exp = experiments(tiny)[0] as TrainExperiment;
    expect(exp).toMatchObject({ kind: 'train', key: 'depth', title: 'Plain nets of growing depth', measure: 'final train loss', line: 61 });
    expect(exp.quick.compare).toEqual(['depth']);
    expect(exp.quick.cost).toBe(5);
    expect(exp.quick.runs.map((r) => [r.label, r.config.depth, r.config.width, r.config.dataset, r.config.steps, r.config.arch])).toEqual([
      ['depth 2', 2, 32, 'synthetic-spiral', 20, 'plain'],
      ['depth 8', 8, 32, 'synthetic-spiral', 20, 'plain'],
    ]);
    expect(exp.quick.fields.find((f) => f.key === 'depth')).toEqual({ key: 'depth', value: '2, 8', line: 68 });
    expect(exp.full!.runs.map((r) => [r.label, r.config.dataset, r.config.steps, r.config.epochs, r.config.width])).toEqual([
      ['depth 2', 'fashion-mnist', null, 3, 32],
      ['depth 20', 'fashion-mnist', null, 3, 32],
    ]);
    expect(exp.full!.cost).toBe(60);
    const chart = tiny.steps[6]!;
    expect(chart.kind === 'chart' && chart.chart).toMatchObject({ source: 'experiment', experiment: 'depth', metric: 'loss' });
    const summary = tiny.steps[7]!;
    expect(summary.kind === 'summary' && summary.items.map((i) => i.text)).toEqual([
      'Residual blocks add their input back.',
      'Deeper plain nets can train worse, not only test worse.',
    ]);
  });

  it('checks a single file on request', () => {
    const one = checkLessonsAt('test/fixtures/lessons/05-answer-not-option.md', root);
    expect(one.files).toEqual(['test/fixtures/lessons/05-answer-not-option.md']);
    expect(one.problems.map(formatProblem)).toEqual([
      'test/fixtures/lessons/05-answer-not-option.md:18: question has no answer among its options (answer "e", options a-d)',
    ]);
    expect(checkLessonsAt('test/fixtures/lessons/01-tiny.md', root).problems).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Rules, one by one, on small lessons written here.

const FRONT = (number = 1, id = 'x') => ['---', 'format: 1', `id: ${id}`, `number: ${number}`, 'title: T', 'summary: S', 'minutes: 5', '---', ''];
const QUESTIONS = [
  '::: question', 'type: single', 'prompt: P', 'options:', '  a) A', '  b) B', 'answer: a', 'hint: H', 'explain: E', ':::',
  '::: question', 'type: multiple', 'prompt: P', 'options:', '  a) A', '  b) B', '  c) C', 'answer: a, c', 'hint: H', 'explain: E', ':::',
  '::: question', 'type: numeric', 'prompt: P', 'answer: 3', 'tolerance: 0.5', 'hint: H', 'explain: E', ':::',
];
const EXPERIMENT = [
  '::: experiment', 'kind: train', 'title: T', 'dataset: synthetic-spiral', 'steps: 10', 'cost: 5', 'predict: P', 'measure: final train loss', 'source: tutor', 'check: [final train loss] > 0', ':::',
];

/**
 * `source:` and a `check:` for an experiment made of `fields`, unless they give their own: the check
 * names a value the experiment measures (the first compared run, a variance or shatter series, or the
 * single result), so each test below sees only the problem it is about.
 */
function declared(fields: readonly string[]): string[] {
  const get = (k: string) => fields.find((f) => f.startsWith(`${k}:`))?.slice(k.length + 1).trim();
  const first = (k: string) => get(k)?.split(',')[0]!.trim();
  const compared = get('compare')?.split(',')[0]!.trim();
  const probe = get('probe');
  const series = probe === 'variance' ? (first('arch') ?? 'plain') : probe === 'shatter' ? 'plain' : undefined;
  const run = compared ? `${compared} ${first(compared)}` : undefined;
  const label = [run, series].filter(Boolean).join(', ') || (get('measure') ?? 'final train loss');
  return [...(get('source') ? [] : ['source: tutor']), ...(get('check') ? [] : [`check: [${label}] >= 0`])];
}

/** Checks a lesson made of the given lines (after a valid front matter); returns `line: message` strings. */
function check(lines: string[], opts: { front?: string[]; name?: string; keepBase?: boolean } = {}): string[] {
  const text = [...(opts.front ?? FRONT()), ...lines, ...(opts.keepBase === false ? [] : [...QUESTIONS, ...EXPERIMENT])].join('\n');
  const parsed = parseLesson(text, 'l.md');
  const built = parsed.lesson ? buildLesson(parsed.lesson, { file: 'l.md', path: join(temp, opts.name ?? '01-x.md') }).problems : [];
  return [...parsed.problems, ...built].map((p) => `${p.line}: ${p.severity === 'warning' ? 'warning: ' : ''}${p.message}`);
}

describe('lesson rules', () => {
  it('accepts the base lesson without problems', () => {
    expect(check([])).toEqual([]);
  });

  it('front matter: complete, known fields and format, id and number that match the file name', () => {
    expect(check([], { front: ['---', 'format: 1', 'id: x', 'number: 1', 'title: T', 'minutes: 5', 'colour: red', '---'] })).toEqual([
      '7: unknown front matter field `colour` (known: format, id, number, title, summary, minutes)',
      '1: front matter has no `summary`',
    ]);
    expect(check([], { front: FRONT(2) })).toEqual(['4: number 2 does not match the file name 01-x.md: rename the file or fix the number']);
    expect(check([], { front: FRONT(1, 'other') })).toEqual(['3: warning: id "other" differs from the file name\'s slug "x"']);
    expect(check([], { front: FRONT(1, 'Bad_Id') })[0]).toBe('3: `id` must be lower-case words joined by hyphens, e.g. residual-blocks; got "Bad_Id"');
    expect(check([], { name: 'lesson-one.md' })).toEqual(['1: lesson file names look like NN-slug.md (e.g. 03-residual-blocks.md); got lesson-one.md']);
  });

  it('needs at least three questions and one experiment', () => {
    expect(check(['::: text', 'hi', ':::'], { keepBase: false })).toEqual([
      '1: lesson has 0 questions; every lesson needs at least 3 (add `::: question` steps)',
      '1: lesson has no experiment; every lesson needs at least 1 (add a `::: experiment` step)',
    ]);
  });

  it('questions: type, answer among options, tolerance, required texts, unknown fields', () => {
    const q = (...fields: string[]) => check(['::: question', ...fields, ':::']);
    expect(q('type: essay', 'prompt: P')).toEqual(['11: unknown question type "essay" (known: single, multiple, numeric)']);
    expect(q('prompt: P')).toEqual(['10: question has no `type` (one of single, multiple, numeric)']);
    expect(q('type: single', 'prompt: P', 'options:', '  a) A', '  b) B', 'answer: c', 'hint: H', 'explain: E')).toEqual([
      '16: question has no answer among its options (answer "c", options a, b)',
    ]);
    expect(q('type: single', 'prompt: P', 'options:', '  a) A', '  b) B', 'answer: a, b', 'hint: H', 'explain: E')).toEqual([
      '16: a single-choice question has one answer; got "a, b" (use `type: multiple` for several)',
    ]);
    expect(q('type: multiple', 'prompt: P', 'options:', '  a) A', '  b) B', '  c) C', '  d) D', 'answer: a, e', 'hint: H', 'explain: E')).toEqual([
      '18: question has no answer among its options (answer "e", options a-d)',
    ]);
    expect(q('type: single', 'prompt: P', 'options:', '  a) A', '  a) B', 'answer: a', 'hint: H', 'explain: E')).toEqual([
      '15: option label "a" is used twice (first at line 14)',
    ]);
    expect(q('type: numeric', 'prompt: P', 'answer: 16', 'tolerance: 0', 'hint: H', 'explain: E')).toEqual(['14: numeric tolerance must be positive; got "0"']);
    expect(q('type: numeric', 'prompt: P', 'answer: sixteen', 'hint: H', 'explain: E')).toEqual([
      '13: numeric answer must be a number; got "sixteen"',
      '10: numeric question has no `tolerance` (a positive number: how far off a right answer may be)',
    ]);
    expect(q('type: numeric', 'prompt: P', 'answer: 1', 'tolerance: 1', 'options:', '  a) A', 'explain: E')).toEqual([
      '15: unknown field `options` in a numeric question (known: type, id, prompt, hint, explain, answer, tolerance, unit)',
      '10: question has no `hint` (a nudge shown on request)',
    ]);
    expect(q('type: single', 'prompt: What is $\\foo$?', 'options:', '  a) A', '  b) B', 'answer: a', 'hint: H', 'explain: E')).toEqual([
      '12: unknown math command \\foo',
    ]);
  });

  it('experiments: config checked by resolveConfig with the field\'s line, compare lists, cost, measure', () => {
    const e = (...fields: string[]) => check(['::: experiment', 'kind: train', 'title: T', 'predict: P', 'measure: final train loss', 'cost: 5', ...fields, ...declared(fields), ':::']);
    expect(e('steps: 10', 'depth: 0')).toEqual(['17: `depth` must be an integer at least 1 and at most 1202; got "0"']);
    expect(e('steps: 10', 'net: cnn', 'depth: 12')[0]).toMatch(/^18: `depth` for --net cnn with basic blocks must be 6n\+2/);
    expect(e('steps: 10', 'lr: fast')).toEqual(['17: `lr` must be a number greater than 0; got "fast"']);
    expect(e('steps: 10', 'dataset: imagenet')).toEqual([
      '17: unknown data set "imagenet" (known: fashion-mnist, mnist, cifar10, synthetic-1d, synthetic-spiral, synthetic-shapes, synthetic-segment)',
    ]);
    expect(e('steps: 10', 'depth: 2, 8')).toEqual(['17: `depth` has several values (2, 8): name it in `compare:` to run one per value']);
    expect(e('steps: 10', 'compare: width')).toEqual([
      '17: `compare: width` names a field the experiment does not set: add `width: value, value`',
    ]);
    // `paired` lists go with the one compared field; `show: segmentation` needs U-Nets; nets fit data.
    expect(e('steps: 10', 'compare: arch', 'arch: plain, residual', 'paired: depth', 'depth: 2, 4, 8')).toEqual([
      '20: `depth` is paired with `arch`, so it needs 2 values (one per run); got 3',
    ]);
    expect(e('steps: 10', 'compare: arch', 'arch: plain, residual', 'paired: depth', 'depth: 2, 4')).toEqual([]);
    expect(e('steps: 10', 'show: pictures')).toEqual(['17: unknown `show` value "pictures" (known: segmentation)']);
    expect(e('steps: 10', 'show: segmentation')[0]).toMatch(/^17: `show: segmentation` draws a U-Net's masks/);
    expect(e('steps: 10', 'net: unet', 'dataset: synthetic-segment', 'show: segmentation')).toEqual([]);
    expect(e('steps: 10', 'net: unet')[0]).toMatch(/^17: `net` unet predicts a mask per pixel and needs a segmentation data set/);
    expect(e('steps: 10', 'dataset: synthetic-segment')[0]).toMatch(/^17: `dataset` synthetic-segment is a segmentation data set/);
    expect(e('steps: 10', 'net: mlp', 'arch: densenet')[0]).toMatch(/^18: `arch` densenet applies to --net cnn only/);
    expect(e('steps: 10', 'colour: red')).toEqual([
      '17: unknown field `colour` in a train experiment (known: kind, id, title, cost, predict, source, check, seeds, measure, compare, paired, full, show, recipe, net, arch, depth, width, block, block-order, shortcut, augment, holdout, dataset, train-limit, val-limit, epochs, steps, batch-size, lr, optimizer, momentum, weight-decay, schedule, seed, log-every)',
    ]);
    expect(check(['::: experiment', 'kind: train', 'title: T', 'predict: P', 'measure: loss', 'steps: 10', 'source: tutor', 'check: [loss] > 0', ':::'])).toEqual([
      '14: unknown measure "loss" for a train experiment (known: final train loss, final train accuracy, val loss, val accuracy, samples per second, train-val gap, seconds per step)',
      '10: experiment has no `cost` (expected seconds on the default wasm backend at 2 cores)',
    ]);
  });

  it('experiments: compare makes one run per value (or pair of values), and full inherits', () => {
    const text = [
      ...FRONT(),
      '::: experiment',
      'id: sweep',
      'kind: train',
      'title: T',
      'compare: arch, lr',
      'arch: residual, residual-bn',
      'lr: 0.01, 0.1, 0.5',
      'steps: 10',
      'train-limit: 100',
      'cost: 60',
      'predict: P',
      'measure: final train loss',
      'source: tutor',
      'check: [arch residual, lr 0.1] > [arch residual-bn, lr 0.1]',
      'full:',
      '  compare: lr',
      '  check: [lr 0.5] > [lr 0.1]',
      '  arch: residual-bn',
      '  lr: 0.1, 0.5',
      '  train-limit: none',
      '  cost: 600',
      ':::',
      ...QUESTIONS,
    ].join('\n');
    const built = buildLesson(parseLesson(text, 'l.md').lesson!, { file: 'l.md', path: join(temp, '01-x.md') });
    expect(built.problems).toEqual([]);
    const exp = (built.lesson!.steps[0] as ExperimentStep).experiment as TrainExperiment;
    expect(exp.quick.compare).toEqual(['arch', 'lr']);
    expect(exp.quick.runs.map((r) => r.label)).toEqual([
      'arch residual, lr 0.01',
      'arch residual, lr 0.1',
      'arch residual, lr 0.5',
      'arch residual-bn, lr 0.01',
      'arch residual-bn, lr 0.1',
      'arch residual-bn, lr 0.5',
    ]);
    expect(exp.quick.runs[5]!.config).toMatchObject({ arch: 'residual-bn', lr: 0.5, steps: 10, trainLimit: 100 });
    expect(exp.full!.runs.map((r) => [r.label, r.config.arch, r.config.trainLimit])).toEqual([
      ['lr 0.1', 'residual-bn', null],
      ['lr 0.5', 'residual-bn', null],
    ]);
  });

  it('experiments: full needs a cost and its own compare when a compared field becomes single', () => {
    const e = (...full: string[]) =>
      check(['::: experiment', 'kind: train', 'title: T', 'predict: P', 'measure: final train loss', 'cost: 5', 'steps: 10', 'compare: depth', 'depth: 2, 8', 'source: tutor', 'check: [depth 2] >= 0', 'full:', ...full, ':::']);
    expect(e('  depth: 20')).toEqual([
      '21: `full:` has no `cost` (expected seconds on one GPU)',
      '22: `depth` is compared in `full:` but has one value; give several separated by commas, e.g. `depth: 20, ...`',
    ]);
    expect(e('  compare: none', '  depth: 20', '  cost: 10', '  check: [final train loss] > 0')).toEqual([]);
    expect(e('  dataset: cifar10', '  bogus: 1', '  cost: 10')).toEqual([
      '23: unknown field `bogus` in `full:` of a train experiment (known: compare, cost, check, seeds, recipe, net, arch, depth, width, block, block-order, shortcut, augment, holdout, dataset, train-limit, val-limit, epochs, steps, batch-size, lr, optimizer, momentum, weight-decay, schedule, seed, log-every)',
    ]);
  });

  it('experiments: warns about long, unbounded or downloading default variants', () => {
    const e = (...fields: string[]) => check(['::: experiment', 'kind: train', 'title: T', 'predict: P', 'measure: final train loss', ...fields, ...declared(fields), ':::']);
    expect(e('cost: 500', 'steps: 10')).toEqual([
      `10: warning: cost 500 s is over the course's ${COST_LIMIT_SECONDS} s for an experiment; make it smaller and put the big version in \`full:\``,
    ]);
    expect(e('cost: 5')).toEqual([
      '10: warning: no `steps` and no `train-limit`: every run makes a full pass over the data; bound it so the experiment finishes in a couple of minutes',
    ]);
    expect(e('cost: 5', 'steps: 5', 'dataset: cifar10')).toEqual([
      '17: warning: cifar10 needs a one-time download; keep it for `full:` and use fashion-mnist or mnist here',
    ]);
  });

  it('probes: known probe, its own options checked by the engine\'s option rules', () => {
    const p = (...fields: string[]) => check(['::: experiment', 'kind: probe', 'title: T', 'predict: P', 'cost: 5', ...fields, ...declared(fields), ':::']);
    expect(p('probe: xray', 'measure: path count')).toEqual(['15: unknown probe "xray" (known: variance, shatter, paths, lesion, bn-scale)']);
    expect(p('probe: paths', 'measure: path count', 'arch: plain')[0]).toMatch(/^17: `arch` plain is a plain network: it has exactly one path/);
    expect(p('probe: shatter', 'measure: neighbour correlation', 'points: 3')).toEqual(['17: `points` must be an integer from 16 to 4096; got "3"']);
    expect(p('probe: shatter', 'measure: neighbour correlation', 'arch: plain')[0]).toBe(
      '17: unknown field `arch` in a shatter probe (known: kind, id, title, probe, cost, predict, source, check, seeds, measure, compare, paired, full, depth, width, block-order, seed, points, input-bias, bias, spacing)',
    );
    expect(p('probe: variance', 'measure: growth per block', 'arch: plain, residual', 'depth: 4')).toEqual([]);
    expect(p('probe: variance', 'measure: neighbour correlation')).toEqual([
      '16: unknown measure "neighbour correlation" for a variance probe (known: growth per block, final variance)',
    ]);
    expect(p('probe: lesion', 'measure: mean accuracy drop', 'steps: 10', 'limit: 0')).toEqual(['18: `limit` must be an integer from 1 to 1000000; got "0"']);
    expect(p('probe: lesion', 'measure: mean accuracy drop', 'steps: 10', 'net: cnn', 'dataset: synthetic-1d')[0]).toMatch(/^18: `net: cnn` needs image data/);
  });

  it("probes: a bad option is reported at the line that set it, not at the step's line", () => {
    const p = (...fields: string[]) => check(['::: experiment', 'kind: probe', 'title: T', 'predict: P', 'cost: 5', ...fields, ...declared(fields), ':::']);
    // Lines: 10 `::: experiment`, so the fields given here start at 15.
    const shatter = ['probe: shatter', 'measure: neighbour correlation', 'depth: 4', 'width: 8'];
    expect(p(...shatter, 'input-bias: -1')).toEqual(['19: `inputBias` must be a number from 0 to 100; got "-1"']);
    expect(p(...shatter, 'seed: 3', 'spacing: 2')).toEqual(['20: `spacing` must be a number from 0.000001 to 1; got "2"']);
    // In `full:`, at the full variant's own line for it.
    expect(p(...shatter, 'full:', '  cost: 60', '  points: 3')).toEqual(['21: `points` must be an integer from 16 to 4096; got "3"']);
    const variance = ['probe: variance', 'measure: growth per block', 'depth: 4', 'width: 8'];
    expect(p(...variance, 'batch-size: 1')).toEqual(['19: `batchSize` must be an integer from 2 to 4096; got "1"']);
    expect(p(...variance, 'repeats: 50', 'seed: 2')).toEqual(['19: `repeats` must be an integer from 1 to 32; got "50"']);
    expect(p(...variance, 'dataset: synthetic-segment')[0]).toMatch(/^19: `dataset` synthetic-segment is a segmentation data set/);
    expect(p('probe: paths', 'measure: path count', 'depth: 4', 'samples: 100')).toEqual(['18: `samples` must be an integer from 1 to 64; got "100"']);
    // One bad value among compared runs: at the compared field's line.
    const paths = p('probe: paths', 'measure: path count', 'compare: arch', 'arch: residual, plain', 'depth: 4');
    expect(paths).toHaveLength(1);
    expect(paths[0]).toMatch(/^18: `arch` plain is a plain network/);
  });

  it('charts: an earlier experiment and a metric it has, or inline numbers', () => {
    const ok = check([...EXPERIMENT.slice(0, 1), 'id: run', ...EXPERIMENT.slice(1), '::: chart', 'experiment: run', 'metric: loss', ':::']);
    expect(ok).toEqual([]);
    expect(check(['::: chart', 'experiment: later', 'metric: loss', ':::'])).toEqual([
      '11: chart refers to experiment "later", which is not an earlier experiment in this lesson (none comes before it)',
    ]);
    expect(check([...EXPERIMENT.slice(0, 1), 'id: run', ...EXPERIMENT.slice(1), '::: chart', 'experiment: run', 'metric: colour', ':::'])).toEqual([
      '24: unknown metric "colour" for this experiment (known: loss, accuracy, val-loss, val-accuracy, grad-norms, activation-variances)',
    ]);
    expect(check(['::: chart', 'scale: log', 'series:', '  a: 1, 2, 4', '  b: 1, 0, x', ':::'])).toEqual([
      '14: a series line is `name: number, number, ...`; got `b: 1, 0, x`',
    ]);
    expect(check(['::: chart', 'title: T', ':::'])).toEqual([
      "10: chart has nothing to draw: give `experiment:` (an earlier experiment's id) and `metric:`, or `series:` lines",
    ]);
  });

  it('text, math and summary steps: math is linted, summaries are bullet lists', () => {
    expect(check(['::: text', 'Inline $x_1 and no end.', ':::'])).toEqual([
      '11: a `$` opens inline math that is not closed (write `\\$` for a dollar sign)',
    ]);
    expect(check(['::: math', 'h_1 = \\frac{x}{2', ':::'])).toEqual(['11: a `{` is not closed']);
    expect(check(['::: summary', 'not a bullet', ':::'])).toEqual(['11: summary items start with `- ` (indent a line to continue the item above)']);
    expect(check(['::: text', ':::'])).toEqual(['10: text step is empty']);
  });

  it('course rules: ids and numbers unique across files', () => {
    const dir = join(temp, 'course');
    mkdirSync(dir, { recursive: true });
    const body = [...QUESTIONS, ...EXPERIMENT].join('\n');
    writeFileSync(join(dir, '01-a.md'), [...FRONT(1, 'a'), body].join('\n'));
    writeFileSync(join(dir, '02-a.md'), [...FRONT(2, 'a'), body].join('\n'));
    writeFileSync(join(dir, '02-b.md'), [...FRONT(2, 'b'), body].join('\n'));
    writeFileSync(join(dir, 'README.md'), '# not a lesson\n');
    const r = loadLessons(dir, temp);
    expect(r.problems.map(formatProblem)).toEqual([
      'course/02-a.md:3: id "a" is also used by course/01-a.md; lesson ids must be unique',
      'course/02-b.md:4: number 2 is also used by course/02-a.md; lesson numbers must be unique',
    ]);
    expect(r.lessons.map((l) => l.file)).toEqual(['course/01-a.md']);
    expect(r.files).toEqual(['course/01-a.md', 'course/02-a.md', 'course/02-b.md']);
  });

  it('reports an unreadable file as a problem and a missing folder as a user error', () => {
    expect(loadLessonFile(join(temp, '09-missing.md'), temp).problems.map(formatProblem)).toEqual(['09-missing.md:1: cannot read the file (ENOENT)']);
    expect(() => loadLessons(join(temp, 'nowhere'), temp)).toThrow(/No lessons folder at nowhere\. Pass the folder/);
  });
});

// ---------------------------------------------------------------------------------------------
// The shipped course.

/**
 * The answer key of every shipped question, in file order, worked out independently of the lesson
 * files: numbers are computed here, choices are the right options as judged by reading them.
 */
const ANSWER_KEY: Record<string, (string | number)[]> = {
  'deep-networks': [128 * 128 + 128, 'a, c, d', 'a', Math.log(10)],
  'shattered-gradients': ['b', 12 - 1, 'a, b', 'b'],
  'residual-blocks': ['b', 4 + 1, 'a, b', 'b'],
  ensembles: [2 ** 4, 2 ** 3, (10 * 9) / 2, 'a', 'a, b'],
  'block-order': ['a', 'a', Math.max(0, 0.5 - 0.8), 'b, c'],
  'exploding-variance': [2 ** 10, 'a', 1 + 10 * 1, 'a, b'],
  'batch-norm': [(1 - 3) / Math.sqrt(((1 - 3) ** 2 + (2 - 3) ** 2 + (3 - 3) ** 2 + (6 - 3) ** 2) / 4), 2 * 10 * 128, 'a', 'a, b, c, e'],
  architectures: [2 * (3 * 3 * 64 * 64), 1 * 1 * 256 * 64 + 3 * 3 * 64 * 64 + 1 * 1 * 64 * 256, 'c', 24 + 2 * 12, 24 + 4 * 12, 'a', 'a', 'a, b, c'],
};

describe('the shipped lessons', () => {
  const { lessons, problems, files } = loadLessons(defaultLessonsDir(), root);

  it('all pass the check, without warnings', () => {
    expect(problems.map(formatProblem)).toEqual([]);
    expect(files).toHaveLength(8);
    expect(lessons).toHaveLength(8);
  });

  it('are the lecture\'s eight lessons, in its order', () => {
    expect(lessons.map((l) => `${l.number} ${l.id}`)).toEqual([
      '1 deep-networks',
      '2 shattered-gradients',
      '3 residual-blocks',
      '4 ensembles',
      '5 block-order',
      '6 exploding-variance',
      '7 batch-norm',
      '8 architectures',
    ]);
  });

  it('each has at least three questions of mixed types and an experiment', () => {
    for (const l of lessons) {
      const qs = questions(l);
      expect(qs.length, l.id).toBeGreaterThanOrEqual(3);
      expect(new Set(qs.map((q) => q.type)).size, l.id).toBeGreaterThanOrEqual(2);
      expect(experiments(l).length, l.id).toBeGreaterThanOrEqual(1);
      for (const q of qs) {
        expect(q.hint.length, `${l.id} ${q.key} hint`).toBeGreaterThan(10);
        expect(q.explain.length, `${l.id} ${q.key} explain`).toBeGreaterThan(40);
      }
    }
    const all = lessons.flatMap(questions);
    expect(new Set(all.map((q) => q.type))).toEqual(new Set(['single', 'multiple', 'numeric']));
  });

  it('have the answer key: every answer verified, and graded right (and a wrong one graded wrong)', () => {
    expect(Object.keys(ANSWER_KEY)).toEqual(lessons.map((l) => l.id));
    for (const l of lessons) {
      const qs = questions(l);
      const key = ANSWER_KEY[l.id]!;
      expect(qs.length, l.id).toBe(key.length);
      qs.forEach((q, i) => {
        const want = key[i]!;
        const where = `${l.id} question ${i + 1} (${l.file}:${q.line})`;
        if (q.type === 'numeric') {
          expect(typeof want, where).toBe('number');
          expect(Math.abs(q.answer - (want as number)), where).toBeLessThanOrEqual(q.tolerance);
          expect(gradeAnswer(q, String(want))).toMatchObject({ valid: true, correct: true });
          expect(gradeAnswer(q, String((want as number) + 10 * q.tolerance + 1))).toMatchObject({ valid: true, correct: false });
        } else {
          const labels = q.type === 'single' ? q.answer.label : q.answers.map((a) => a.label).join(', ');
          expect(labels, where).toBe(want);
          expect(gradeAnswer(q, String(want))).toMatchObject({ valid: true, correct: true });
          const wrong = q.options.find((o) => !String(want).split(', ').includes(o.label))!.label;
          expect(gradeAnswer(q, wrong)).toMatchObject({ valid: true, correct: false });
          expect(gradeAnswer(q, 'z')).toMatchObject({ valid: false });
        }
      });
    }
  });

  it('size their experiments for 2 cores on real data, with a paper-sized full variant', () => {
    for (const l of lessons) {
      for (const e of experiments(l)) {
        const where = `${l.id} ${e.key}`;
        expect(e.quick.cost, where).toBeLessThanOrEqual(COST_LIMIT_SECONDS);
        expect(e.predict.length, where).toBeGreaterThan(30);
        if (e.kind === 'train') {
          expect(e.full, where).not.toBeNull();
          for (const r of e.quick.runs) {
            // Real images, or the synthetic masks a U-Net segments (it has no real-data counterpart here).
            expect(r.config.net === 'unet' ? ['synthetic-segment'] : ['fashion-mnist', 'mnist'], where).toContain(r.config.dataset);
            expect(r.config.trainLimit, where).not.toBeNull();
            // Bounded by steps, or by a few epochs over the limited set (the BN-noise runs compare batch
            // sizes at equal epochs, so their step counts differ).
            const examples = r.config.steps !== null ? r.config.steps * r.config.batchSize : r.config.epochs * r.config.trainLimit!;
            expect(examples, where).toBeLessThanOrEqual(r.config.net === 'cnn' ? 4000 : 40000);
          }
          if (e.quick.runs.every((r) => r.config.net !== 'unet')) expect(e.full!.runs.some((r) => r.config.dataset === 'cifar10'), where).toBe(true);
        }
      }
    }
    const lesson1 = experiments(lessons[0]!)[0] as TrainExperiment;
    expect(lesson1.quick.runs.map((r) => `${r.config.arch} ${r.config.net} d${r.config.depth}`)).toEqual(['plain-bn mlp d2', 'plain-bn mlp d20', 'residual-bn mlp d2', 'residual-bn mlp d20']);
    const lesson7 = experiments(lessons[6]!)[0] as TrainExperiment;
    expect(lesson7.quick.runs).toHaveLength(6);
    const lesson8 = experiments(lessons[7]!)[1] as TrainExperiment;
    expect(lesson8.quick.runs.every((r) => r.config.net === 'cnn')).toBe(true);
    expect(lesson8.full!.runs.map((r) => r.label)).toEqual(['arch plain-bn, depth 20', 'arch plain-bn, depth 56', 'arch residual-bn, depth 20', 'arch residual-bn, depth 56']);
    // Lesson 8's DenseNet and U-Net: paired sizes, and the masks drawn at the end.
    const [, , densenet, unet] = experiments(lessons[7]!) as TrainExperiment[];
    expect(densenet!.quick.runs.map((r) => `${r.label}: ${r.config.arch} d${r.config.depth} w${r.config.width}`)).toEqual([
      'arch residual-bn: residual-bn d8 w8',
      'arch densenet: densenet d10 w12',
    ]);
    expect(densenet!.full!.runs.map((r) => `${r.config.arch} d${r.config.depth} w${r.config.width} ${r.config.dataset}`)).toEqual([
      'residual-bn d20 w16 cifar10',
      'densenet d28 w12 cifar10',
    ]);
    expect(unet!.show).toBe('segmentation');
    expect(unet!.quick.runs.map((r) => `${r.config.net} ${r.config.arch}`)).toEqual(['unet plain', 'unet residual-bn']);
    const probes = lessons.flatMap(experiments).flatMap((e) => (e.kind === 'probe' ? [e.probe] : []));
    expect(new Set(probes)).toEqual(new Set(['shatter', 'paths', 'lesion', 'variance', 'bn-scale']));
  });

  it('render all their math in both charsets', () => {
    for (const l of lessons) {
      for (const s of l.steps) {
        const texts =
          s.kind === 'math'
            ? s.equations.map((e) => renderMath(e.tex, 'ascii'))
            : s.kind === 'text'
              ? [renderInline(s.body, 'ascii')]
              : s.kind === 'question'
                ? [renderInline(s.question.prompt, 'ascii'), renderInline(s.question.explain, 'ascii')]
                : [];
        for (const t of texts) expect(t, `${l.file}:${s.line}`).not.toMatch(/[^\x00-\x7f’]/);
      }
    }
    const residual = lessons[2]!.steps.find((s) => s.kind === 'math' && s.equations.some((e) => e.tex.startsWith('h_2 = h_1 +')));
    expect(residual && residual.kind === 'math' && renderMath(residual.equations[1]!.tex)).toBe('h₂ = h₁ + f₂[h₁, φ₂]');
  });
});

describe('lessons/FORMAT.md', () => {
  it('has examples that pass the checker', () => {
    const doc = readFileSync(join(root, 'lessons', 'FORMAT.md'), 'utf8');
    const blocks = [...doc.matchAll(/```\n(::: [\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    const dir = join(temp, 'doc');
    mkdirSync(dir, { recursive: true });
    const front = FRONT(3, 'residual-blocks').join('\n');
    writeFileSync(join(dir, '03-residual-blocks.md'), [front, ...blocks, ...QUESTIONS.slice(0, 21)].join('\n'));
    const r = loadLessons(dir, temp);
    expect(r.problems.map(formatProblem)).toEqual([]);
    expect(r.lessons[0]!.steps.map((s) => s.kind)).toEqual(['text', 'math', 'question', 'experiment', 'chart', 'chart', 'question', 'question']);
  });
});
