/**
 * `npm run bench -- lessons`: how long each shipped lesson experiment really takes, against the
 * `cost:` its lesson states ("about N s here"). Each experiment runs as the tutor runs it: the quick
 * variant, every seed, through ExperimentRunner on a fresh engine worker (the tutor starts one per
 * experiment), with its runs in a temporary folder that is removed afterwards.
 *
 *   npm run bench -- lessons                 every lesson
 *   npm run bench -- lessons 1 6             lessons 1 and 6 only
 *   npm run bench -- lessons --backend wasm  (default: auto, as `learn`)
 *
 * Prints stated and measured seconds and their ratio, and writes bench/results/lesson-costs.json.
 * Wall times on a loaded machine are high: state a cost rounded up from a quiet run. The CPU time
 * (all threads of this process) is printed too: on a one-thread wasm run it is close to the quiet wall time.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExperimentRunner } from '../src/lessons/experiment-runner.js';
import { loadLessons } from '../src/lessons/load.js';
import { engineHostPerKind } from '../src/worker/engine-host.js';

export interface LessonCost {
  readonly lesson: number;
  readonly experiment: string;
  readonly statedSeconds: number;
  readonly measuredSeconds: number;
  /** CPU seconds of this process (all threads): near the quiet wall time of a one-thread wasm run. */
  readonly cpuSeconds: number;
  readonly ratio: number;
  readonly verdict: string;
}

export async function benchLessonCosts(args: readonly string[]): Promise<LessonCost[]> {
  const backendAt = args.indexOf('--backend');
  const backend = backendAt >= 0 ? (args[backendAt + 1] ?? 'auto') : 'auto';
  const numbers = new Set(args.filter((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--backend').map(Number));
  const { lessons } = loadLessons();
  const root = mkdtempSync(join(tmpdir(), 'rt-lesson-costs-'));
  const out: LessonCost[] = [];
  try {
    for (const lesson of lessons) {
      if (numbers.size > 0 && !numbers.has(lesson.number)) continue;
      for (const step of lesson.steps) {
        if (step.kind !== 'experiment') continue;
        const exp = step.experiment;
        const hosts = engineHostPerKind();
        const runner = new ExperimentRunner(hosts.get, join(root, 'runs'), backend, { tinyBudget: false });
        const start = performance.now();
        const cpuStart = process.cpuUsage();
        try {
          const outcome = await runner.run(exp, false, () => undefined, { lessonId: lesson.id });
          const measuredSeconds = (performance.now() - start) / 1000;
          const cpu = process.cpuUsage(cpuStart);
          const cpuSeconds = (cpu.user + cpu.system) / 1e6;
          const row: LessonCost = {
            lesson: lesson.number,
            experiment: exp.key,
            statedSeconds: exp.quick.cost,
            measuredSeconds,
            cpuSeconds,
            ratio: measuredSeconds / exp.quick.cost,
            verdict: outcome.verdict?.outcome ?? '-',
          };
          out.push(row);
          console.log(
            `lesson ${row.lesson} ${row.experiment.padEnd(20)} stated ${String(row.statedSeconds).padStart(4)} s  measured ${row.measuredSeconds.toFixed(0).padStart(4)} s (cpu ${row.cpuSeconds.toFixed(0).padStart(4)} s)  ratio ${row.ratio.toFixed(2)}  (${row.verdict}, ${exp.quick.seeds} seed${exp.quick.seeds === 1 ? '' : 's'})`,
          );
        } finally {
          await hosts.close();
        }
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const dir = join(process.cwd(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'lesson-costs.json'), `${JSON.stringify({ date: new Date().toISOString(), backend, rows: out }, null, 2)}\n`);
  console.log(`written to ${join(dir, 'lesson-costs.json')}`);
  return out;
}
