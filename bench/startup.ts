/**
 * Startup time of the built CLI: the median wall time of ~10 spawns of `node dist/src/cli.js --help`
 * and of `--version`. The target is under 0.3 s for `--help`: every command module is light and loads
 * its implementation (TensorFlow.js, Ink, conf) only when it runs.
 *
 *   npm run build && node dist/bench/startup.js          prints { helpMs, versionMs }
 *   hyperfine -N -w 3 'node dist/src/cli.js --help'      the same, with spread
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The built CLI, next to this file's built copy (dist/bench/startup.js -> dist/src/cli.js). */
const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median wall time in ms of `runs` spawns of the CLI with `args` (after one warm-up spawn). */
function timeSpawns(args: readonly string[], runs: number): number {
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const start = performance.now();
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const ms = performance.now() - start;
    if (r.status !== 0) throw new Error(`node ${CLI} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    if (i > 0) times.push(ms);
  }
  return median(times);
}

/**
 * Time until the tutor's first screen (the lesson menu) is on a real terminal: `resnet-tutor` in a
 * tmux pane of its own server, polled every 10 ms. Null when tmux is missing. Target: under 1 s.
 */
export async function tutorFirstScreenMs(runs = 5): Promise<number | null> {
  if (spawnSync('tmux', ['-V']).status !== 0) return null;
  const base = `rt-startup-${process.pid}`;
  const used: string[] = [];
  const times: number[] = [];
  try {
    for (let i = 0; i <= runs; i++) {
      // A fresh server per run: a server that is still shutting down may refuse the next session.
      const socket = `${base}-${i}`;
      used.push(socket);
      const start = performance.now();
      spawnSync('tmux', ['-L', socket, 'new-session', '-d', '-s', 's', '-x', '100', '-y', '30', `CI=false ${process.execPath} ${CLI}`]);
      for (;;) {
        const screen = spawnSync('tmux', ['-L', socket, 'capture-pane', '-t', 's', '-p'], { encoding: 'utf8' }).stdout ?? '';
        if (screen.includes('lesson by lesson')) break;
        if (performance.now() - start > 10_000) throw new Error('the tutor did not show its menu within 10 s');
        await new Promise((r) => setTimeout(r, 10));
      }
      if (i > 0) times.push(performance.now() - start);
      spawnSync('tmux', ['-L', socket, 'kill-server']);
    }
  } finally {
    for (const socket of used) spawnSync('tmux', ['-L', socket, 'kill-server']);
  }
  return median(times);
}

export async function benchStartup(runs = 10): Promise<{ helpMs: number; versionMs: number; tutorMs: number | null }> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  return { helpMs: timeSpawns(['--help'], runs), versionMs: timeSpawns(['--version'], runs), tutorMs: await tutorFirstScreenMs() };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await benchStartup();
  const verdict = r.helpMs < 300 ? 'ok, under 300 ms' : 'SLOW: the target is 300 ms (is this machine busy?)';
  process.stdout.write(
    `startup: --help ${r.helpMs.toFixed(0)} ms (${verdict}), --version ${r.versionMs.toFixed(0)} ms, median of 10 spawns; tutor first screen ${r.tutorMs === null ? 'n/a (no tmux)' : `${r.tutorMs.toFixed(0)} ms (target < 1000)`}\n`,
  );
}
