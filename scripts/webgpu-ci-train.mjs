#!/usr/bin/env node
// CI (.ci/run): judges the short `train --backend webgpu` run in RUN_DIR: run.json must say it
// computed on webgpu and finished, and metrics.jsonl must show the loss fell (the last metrics
// line's interval loss below the first's). Prints what it found; exit 1 if any of it is not so.
import console from 'node:console';
import process from 'node:process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node scripts/webgpu-ci-train.mjs RUN_DIR');
  process.exit(2);
}
const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l))
  .filter((m) => typeof m.loss === 'number');
const problems = [];
const backend = run.backend?.name ?? run.backend;
if (backend !== 'webgpu') problems.push(`run.json names backend ${JSON.stringify(run.backend)}, not webgpu`);
if (lines.length < 2) problems.push(`only ${lines.length} metrics lines`);
const [first, last] = [lines[0], lines[lines.length - 1]];
if (first && last && !(last.loss < first.loss))
  problems.push(`the loss did not fall: ${first.loss} at step ${first.step}, ${last.loss} at step ${last.step}`);
console.log(
  `webgpu training run: ${run.status ?? '?'} on ${run.backend?.device ?? run.device ?? '?'}; loss ${first?.loss?.toFixed(4)} (step ${first?.step}) -> ${last?.loss?.toFixed(4)} (step ${last?.step})`,
);
for (const p of problems) console.error(`webgpu training run: ${p}`);
process.exit(problems.length ? 1 : 0);
