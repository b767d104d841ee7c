import { resolve } from 'node:path';
import { UserError } from '../util/errors.js';
import { listRuns, STALE_AFTER_MS } from './list.js';
import { findRun, listRunIds } from './run-dir.js';

/**
 * Which runs `watch` and `report` show: `a,b` names several runs that already exist (each by id,
 * unique prefix or folder), to overlay on one chart; no name at all (watch) means the newest
 * running run.
 */
export const MAX_OVERLAY = 4;

/** The run folders named by `spec` ("a", or "a,b,c"), in that order, each once. */
export function selectRuns(root: string, spec: string, what: 'watch' | 'report'): string[] {
  const names = spec.split(',').map((n) => n.trim());
  if (names.some((n) => n === '')) {
    throw new UserError(
      `"${spec}" has an empty run name; give runs as a comma list without gaps, e.g. \`resnet-tutor ${what} ${names.filter(Boolean).join(',') || '<run>,<run>'}\`.`,
    );
  }
  const paths: string[] = [];
  for (const n of names) {
    const p = resolve(findRun(root, n));
    if (!paths.includes(p)) paths.push(p);
  }
  if (paths.length > MAX_OVERLAY) {
    throw new UserError(
      `${what} overlays at most ${MAX_OVERLAY} runs on one chart; "${spec}" names ${paths.length}. Leave some out, or look at them in turns.`,
    );
  }
  return paths;
}

/**
 * The newest run whose run.json says running, preferring one updated in the last minutes (a run
 * killed with SIGKILL still says running). A UserError when there is none, naming the newest runs.
 */
export function newestRunning(root: string): string {
  listRunIds(root); // a --run-dir that is a file or unreadable: its clear error
  const runs = listRuns(root).flatMap((l) => (l.kind === 'run' ? [l] : []));
  const running = runs.filter((l) => l.info.status === 'running');
  const fresh = running.filter((l) => Date.now() - Date.parse(l.lastUpdate) <= STALE_AFTER_MS);
  const pick = fresh[0] ?? running[0];
  if (pick) return resolve(pick.path);
  const latest = runs
    .slice(0, 3)
    .map((l) => `${l.info.id} (${l.info.status})`)
    .join(', ');
  throw new UserError(
    `No run is running in ${root}${latest ? `; the newest: ${latest}` : ''}. Name the run to look at: \`resnet-tutor watch <run>\`, or \`resnet-tutor report <run>\` for one that ended; \`resnet-tutor runs${root === 'checkpoints' ? '' : ` --run-dir ${root}`}\` lists them.`,
  );
}

/**
 * Short names that tell overlaid runs apart in a legend: the ids without the leading words they
 * all share ("183012-cnn-plain-d20" for a shared date), or the ids themselves for one run.
 */
export function overlayLabels(ids: readonly string[]): string[] {
  if (ids.length < 2) return [...ids];
  const split = ids.map((id) => id.split('-'));
  let common = 0;
  while (split.every((w) => w.length > common + 1 && w[common] === split[0]![common])) common++;
  const labels = split.map((w) => w.slice(common).join('-'));
  return new Set(labels).size === labels.length ? labels : [...ids];
}
