import { UserError } from '../../util/errors.js';
import { packageVersion } from '../../util/version.js';
import { createRunDir } from '../../runs/run-dir.js';
import { checkBackendInstalled, checkedConfig, superviseRuns, type SupervisedRun } from './launch.js';
import { applyMemoryVerdict, judgeMemory, memoryFacts } from './memory-check.js';

export const MIN_RUNS = 2;
export const MAX_RUNS = 4;

/**
 * Expands comma lists into one raw config per combination, each labelled by the values that vary
 * ("plain", "residual-bn lr=0.5"). Too few or too many combinations is a user error.
 */
export function expandComparison(raw: Record<string, unknown>): { label: string; raw: Record<string, unknown> }[] {
  const lists = Object.entries(raw)
    .filter(([, v]) => typeof v === 'string' && v.includes(','))
    .map(
      ([k, v]) =>
        [
          k,
          (v as string)
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        ] as const,
    );
  let combos: { label: string[]; raw: Record<string, unknown> }[] = [{ label: [], raw: { ...raw } }];
  for (const [key, values] of lists) {
    combos = combos.flatMap((c) =>
      values.map((v) => ({
        label: [...c.label, key === 'arch' || key === 'net' || key === 'dataset' ? v : `${flag(key)}=${v}`],
        raw: { ...c.raw, [key]: v },
      })),
    );
  }
  if (combos.length < MIN_RUNS) {
    throw new UserError(
      'compare needs at least two runs: give one option a comma list, e.g. `resnet-tutor compare --arch plain,residual,residual-bn` (or use `resnet-tutor train` for one run).',
    );
  }
  if (combos.length > MAX_RUNS) {
    throw new UserError(
      `compare shows at most ${MAX_RUNS} runs side by side; these lists make ${combos.length} (${lists.map(([k, v]) => `--${flag(k)} has ${v.length}`).join(', ')}). Shorten a list, or start the others separately.`,
    );
  }
  return combos.map((c) => ({ label: c.label.join(' '), raw: c.raw }));
}

export async function launchComparison(opts: {
  raw: Record<string, unknown>;
  backend: string;
  runRoot: string;
  json: boolean;
  headless?: boolean;
  noColor?: boolean;
}): Promise<number> {
  // Every config is checked before any run folder is made: one bad value writes nothing.
  const planned = expandComparison(opts.raw).map((c) => ({ label: c.label, config: checkedConfig(c.raw) }));
  checkBackendInstalled(opts.backend);
  const facts = await memoryFacts(opts.backend);
  // Every arm is judged before any note is printed or folder made: a refusal writes nothing.
  const verdicts = planned.map((p) => judgeMemory(p.config, opts.backend, facts, p.label));
  for (const v of verdicts) if (v.refusal !== undefined) applyMemoryVerdict(v);
  for (const v of verdicts) applyMemoryVerdict(v);
  const runs: SupervisedRun[] = planned.map((p) => {
    const { id, path } = createRunDir(opts.runRoot, p.config, { resnetTutor: packageVersion() });
    return { id, path, config: p.config, label: p.label };
  });
  return superviseRuns(runs, { ...opts, resume: false });
}

function flag(key: string): string {
  return key.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`);
}
