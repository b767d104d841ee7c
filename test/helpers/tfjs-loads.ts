import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'vitest';
import { CLI, ensureBuilt, tempDir } from './cli.js';

/** The preload (`node --import`) that records each thread's @tensorflow loads into $RT_TFJS_LOADS_DIR. */
export const TFJS_LOADS_PRELOAD = pathToFileURL(resolve(import.meta.dirname, 'record-tfjs-loads.mjs')).href;

/** What each thread of one finished run of the CLI loaded from @tensorflow. */
export function tfjsLoads(dir: string): { main: string[]; workers: string[][] } {
  const read = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as string[];
  expect(existsSync(join(dir, 'main.json')), 'the preload ran in the main thread').toBe(true);
  return {
    main: read('main.json'),
    workers: readdirSync(dir)
      .filter((f) => f.startsWith('worker-'))
      .map(read),
  };
}

/** Runs the CLI to completion with the preload. */
export function runRecordingTfjs(args: string[]): {
  code: number | null;
  stdout: string;
  stderr: string;
  loads: ReturnType<typeof tfjsLoads>;
} {
  ensureBuilt();
  const dir = tempDir('rt-tfjs-loads-');
  const r = spawnSync(process.execPath, ['--import', TFJS_LOADS_PRELOAD, CLI, ...args], {
    env: { ...process.env, RT_TFJS_LOADS_DIR: dir, XDG_DATA_HOME: join(dir, 'data') },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, loads: tfjsLoads(dir) };
}
