/**
 * Vitest global setup: the CLI and the worker threads the tests start are loaded from dist/, so the
 * build is brought up to date with src/ before any test runs, and a test never exercises the code as
 * it was at the last `npm run build`. Nothing newer than the last build: no tsc at all (milliseconds);
 * otherwise tsc's incremental build (tsconfig.build.json), which rebuilds only what changed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const STAMP = join(ROOT, 'dist', '.built-from-src');
/** What the build reads: a change to any of these makes dist/ stale. */
const INPUTS = ['src', 'bench', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

function newestChange(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestChange(join(path, name))), s.mtimeMs);
}

export default function buildBeforeTests(): void {
  const built = existsSync(STAMP) ? statSync(STAMP).mtimeMs : -Infinity;
  const changed = Math.max(
    ...INPUTS.map((p) => join(ROOT, p))
      .filter(existsSync)
      .map(newestChange),
  );
  if (changed < built) return;
  // The stamp gets the build's start time: a file saved while tsc runs is newer and builds next time.
  const started = new Date();
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  // Exit 2: type errors, but every file was emitted (tests still run what is in src; `npm run
  // typecheck` is the check for types). Anything else means dist/ may be stale, so no test runs.
  if (tsc.status === 2) {
    process.stderr.write(`The build has type errors (the tests run the emitted code anyway):\n${tsc.stdout}${tsc.stderr}`);
  } else if (tsc.status !== 0) {
    throw new Error(`The build before the tests failed (tsc -p tsconfig.build.json, exit ${tsc.status}):\n${tsc.stdout}${tsc.stderr}`);
  }
  writeFileSync(STAMP, '');
  utimesSync(STAMP, started, started);
}
