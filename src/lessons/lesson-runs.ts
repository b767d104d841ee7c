/**
 * Lesson runs are tagged with what made them (lesson, experiment, variant, run label, seed) in
 * `lesson.json` next to run.json, so that the tutor keeps only the latest run of each: a pass through
 * the course left 41 runs and 149 MB behind before. A running or interrupted run is never removed
 * (it may still be resumed); only finished ones (completed, diverged, failed) are.
 */
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { RUN_FILE } from '../runs/run-dir.js';
import type { RunStatus } from '../contracts/run-folder.js';

export const LESSON_TAG_FILE = 'lesson.json';

export interface LessonRunTag {
  readonly lesson: string;
  readonly experiment: string;
  readonly variant: 'quick' | 'full';
  readonly label: string;
  readonly seed: number;
}

const FINISHED: ReadonlySet<RunStatus> = new Set(['completed', 'diverged', 'failed']);

export function writeLessonTag(runPath: string, tag: LessonRunTag): void {
  writeFileAtomic(join(runPath, LESSON_TAG_FILE), `${JSON.stringify(tag, null, 2)}\n`);
}

/** The tag of a run folder, or null when it has none (a run of `train`, or a damaged file). */
export function readLessonTag(runPath: string): LessonRunTag | null {
  try {
    const t = JSON.parse(readFileSync(join(runPath, LESSON_TAG_FILE), 'utf8')) as Partial<LessonRunTag>;
    if (typeof t.lesson !== 'string' || typeof t.experiment !== 'string' || typeof t.label !== 'string' || typeof t.seed !== 'number') return null;
    return { lesson: t.lesson, experiment: t.experiment, variant: t.variant === 'full' ? 'full' : 'quick', label: t.label, seed: t.seed };
  } catch {
    return null;
  }
}

function sameRun(a: LessonRunTag, b: LessonRunTag): boolean {
  return a.lesson === b.lesson && a.experiment === b.experiment && a.variant === b.variant && a.label === b.label && a.seed === b.seed;
}

function statusOf(runPath: string): RunStatus | null {
  try {
    return (JSON.parse(readFileSync(join(runPath, RUN_FILE), 'utf8')) as { status?: RunStatus }).status ?? null;
  } catch {
    return null;
  }
}

/**
 * Removes the older finished runs in `root` with the same tag as the run `keepId`; returns the ids
 * removed. Call it once the new run has finished.
 */
export function pruneLessonRuns(root: string, keepId: string, tag: LessonRunTag): string[] {
  if (!existsSync(root)) return [];
  const removed: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === keepId) continue;
    const path = join(root, entry.name);
    const other = readLessonTag(path);
    if (!other || !sameRun(other, tag)) continue;
    const status = statusOf(path);
    if (status === null || !FINISHED.has(status)) continue;
    rmSync(path, { recursive: true, force: true });
    removed.push(entry.name);
  }
  return removed;
}
