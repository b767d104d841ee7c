/**
 * Training throughput with the live dashboard open versus headless (target: within 3%). Runs the
 * real CLI twice each way, alternating, on the same configuration; the dashboard runs in a tmux
 * terminal (120x40) and is closed with `q` once the run has completed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CLI = resolve(import.meta.dirname, '../src/cli.js');
const ARGS = [
  '--steps',
  '400',
  '--train-limit',
  '8192',
  '--val-limit',
  '256',
  '--depth',
  '8',
  '--width',
  '128',
  '--log-every',
  '10',
  '--checkpoint-every',
  '0',
];

function medianSps(root: string): number {
  const [run] = readdirSync(root);
  if (run === undefined) throw new Error(`no run folder in ${root}`);
  const lines = readFileSync(join(root, run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { samplesPerSecond: number; step: number });
  // Skip the first lines (warm-up, data loading).
  const sps = lines
    .filter((l) => l.step > 50)
    .map((l) => l.samplesPerSecond)
    .sort((a, b) => a - b);
  const median = sps[Math.floor(sps.length / 2)];
  if (median === undefined) throw new Error(`no metrics after step 50 in ${join(root, run)}`);
  return median;
}

function headless(): number {
  const root = mkdtempSync(join(tmpdir(), 'rt-bench-'));
  spawnSync(process.execPath, [CLI, 'train', ...ARGS, '--run-dir', root], { stdio: 'ignore' });
  return medianSps(root);
}

async function withDashboard(): Promise<number> {
  const root = mkdtempSync(join(tmpdir(), 'rt-bench-'));
  const session = `rt-bench-${process.pid}`;
  execFileSync('tmux', [
    '-L',
    session,
    'new-session',
    '-d',
    '-s',
    session,
    '-x',
    '120',
    '-y',
    '40',
    ['CI=false', process.execPath, CLI, 'train', ...ARGS, '--run-dir', root].join(' '),
  ]);
  const start = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const runs = existsSync(root) ? readdirSync(root) : [];
    const info = runs[0] ? join(root, runs[0], 'run.json') : '';
    if (info && existsSync(info) && JSON.parse(readFileSync(info, 'utf8')).status === 'completed') break;
    if (Date.now() - start > 300_000) throw new Error('dashboard run did not complete in 5 minutes');
  }
  execFileSync('tmux', ['-L', session, 'send-keys', '-t', session, 'q']);
  await new Promise((r) => setTimeout(r, 500));
  spawnSync('tmux', ['-L', session, 'kill-server']);
  return medianSps(root);
}

export async function benchDashboardOverhead(rounds = 2): Promise<{ headless: number; dashboard: number; ratio: number } | null> {
  if (spawnSync('tmux', ['-V']).status !== 0) return null;
  const h: number[] = [];
  const d: number[] = [];
  for (let i = 0; i < rounds; i++) {
    h.push(headless());
    d.push(await withDashboard());
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { headless: mean(h), dashboard: mean(d), ratio: mean(d) / mean(h) };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.dirname, 'dashboard-overhead.js')) {
  benchDashboardOverhead()
    .then((r) =>
      console.log(
        r
          ? `dashboard ${r.dashboard.toFixed(0)} vs headless ${r.headless.toFixed(0)} samples/s: ratio ${r.ratio.toFixed(3)}`
          : 'tmux not found',
      ),
    )
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
