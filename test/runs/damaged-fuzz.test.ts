import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli, tempDir } from '../helpers/cli.js';

/**
 * A fuzz of damaged run folders: each file kind (run.json, metrics.jsonl, a checkpoint's manifest and
 * weights) truncated, bit-flipped, deleted, replaced, `null`, or a folder in its place; then `runs`,
 * `report` and `resume` on it. Each must answer within a bound with exit 0 (a correct fallback) or 1
 * and one `resnet-tutor:` paragraph, never an unexpected error or a stack trace, and delete nothing good.
 */
const TINY = [
  ...['--steps', '8', '--train-limit', '256', '--val-limit', '32', '--depth', '2', '--width', '8', '--batch-size', '16'],
  ...['--backend', 'wasm', '--log-every', '1', '--checkpoint-every', '2', '--name', 'r'],
];

let base: string;
beforeAll(() => {
  ensureBuilt();
  base = tempDir('rt-fuzz-base-');
  // Killed after step 7: checkpoints 2, 4, 6 (keep 3), metrics to step 7, status failed.
  const r = runCli(['train', ...TINY, '--run-dir', base], { env: { RESNET_TUTOR_FAULTS: 'exit@7' } });
  expect(r.code).toBe(1);
  expect(existsSync(join(base, 'r', 'ckpt-6'))).toBe(true);
});

const FILES = ['run.json', 'metrics.jsonl', 'ckpt-6/manifest.json', 'ckpt-6/weights.bin'];
const DAMAGES: Record<string, (file: string) => void> = {
  truncate: (f) => truncateSync(f, Math.floor(statSync(f).size / 2)),
  flip: (f) => {
    const b = readFileSync(f);
    b[Math.floor(b.length / 3)]! ^= 0x5a;
    writeFileSync(f, b);
  },
  delete: (f) => rmSync(f),
  replace: (f) => writeFileSync(f, 'not what this file should hold\n'),
  null: (f) => writeFileSync(f, 'null\n'),
  folder: (f) => {
    rmSync(f);
    mkdirSync(f);
  },
};

const files = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)));

/** `watch` exits with the run's own code (this one failed: 1) after saying so on stdout. */
function checkAnswer(what: string, r: ReturnType<typeof runCli>): void {
  expect(r.code, `${what} did not finish in time`).not.toBeNull();
  expect(r.stderr, what).not.toMatch(/unexpected error/);
  expect(r.stderr, what).not.toMatch(/\n\s+at /);
  expect([0, 1], `${what}: ${r.stderr}`).toContain(r.code);
  if (r.code === 1 && (what !== 'watch' || r.stderr.trim() !== '')) {
    const lines = r.stderr.trim().split('\n');
    expect(lines.at(-1), what).toMatch(/^resnet-tutor: /);
  }
}

describe('damaged run folders', () => {
  for (const file of FILES) {
    for (const [damage, apply] of Object.entries(DAMAGES)) {
      it(`${file} ${damage}: runs, report and resume answer clearly and delete nothing good`, () => {
        const root = tempDir('rt-fuzz-');
        cpSync(join(base, 'r'), join(root, 'r'), { recursive: true });
        const run = join(root, 'r');
        const good = files(run).filter((f) => f !== file);
        apply(join(run, file));
        const opts = { timeoutMs: 90_000 };
        checkAnswer('runs', runCli(['runs', '--run-dir', root], opts));
        checkAnswer('report', runCli(['report', 'r', '--run-dir', root], opts));
        checkAnswer('watch', runCli(['watch', 'r', '--run-dir', root], opts));
        checkAnswer('resume', runCli(['resume', 'r', '--run-dir', root], opts));
        // Nothing good deleted: every other file is still there (run.json and metrics.jsonl rewritten
        // in place, older checkpoints possibly pruned by the newer ones the resume wrote).
        const after = files(run);
        for (const f of good) {
          if (/^ckpt-\d+\//.test(f) && !existsSync(join(run, f))) {
            expect(
              after.some((a) => /^ckpt-(8)\//.test(a)),
              `${f} removed`,
            ).toBe(true);
            continue;
          }
          expect(existsSync(join(run, f)), `${f} removed`).toBe(true);
        }
      });
    }
  }
});
