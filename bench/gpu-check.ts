/**
 * `npm run gpu:check`: the prepared check for a GPU machine. In under 5 minutes, with no internet
 * (the data is synthetic and CIFAR-10-shaped), it writes one JSON report:
 *   doctor       the doctor's findings
 *   routes       each GPU route (webgpu, node-gpu): its adapter or device, or why it is unavailable
 *   parity       gradients of every model family on each GPU route against the cpu backend
 *   throughput   ResNet-20 training samples/s on each GPU route and on wasm
 *   training     a time-bounded run (--train-seconds, default 120) on the fastest route; its loss must fall
 * A section that cannot run here says "skipped" and why; the exit code is 1 only when something that
 * ran failed (or the check ran out of its time budget).
 *
 *   npm run gpu:check                                   on a GPU box
 *   npm run gpu:check -- --allow-software               here: the software WebGPU adapter counts
 *   npm run gpu:check -- --out report.json --train-seconds 60
 *
 * This process loads no tfjs: it sets the environment the GPU routes need before any library loads
 * (EGL_PLATFORM for Mesa, the per-user CUDA 11.8 library path for tfjs-node-gpu, both read only at
 * process start: see platform/gpu-env.ts), starts the check in a child process and stops it at the budget.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { planGpuEnvironment } from '../src/platform/gpu-env.js';
import { cudaDir, cudaLibraryDirs } from '../src/platform/native-home.js';
import {
  UsageError,
  emptyReport,
  finishReport,
  parseGpuCheckArgs,
  sections,
  type GpuCheckOptions,
  type GpuCheckReport,
} from './gpu-check-report.js';

const CHILD_FLAG = '--gpu-check-child';

/**
 * Dawn prints these whenever it opens an adapter (Limits.cpp clamps two limits tfjs never nears), on
 * hardware too, from native code straight to the process's stderr: they look like errors and are not.
 */
export const DAWN_LIMIT_NOTICE =
  /^Warning: maxDynamic(?:Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/;

/** Passes the child's stderr on, line by line, without Dawn's limit notices. */
function forwardStderr(stream: NodeJS.ReadableStream): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) if (!DAWN_LIMIT_NOTICE.test(l)) process.stderr.write(`${l}\n`);
  });
  stream.on('end', () => {
    if (rest !== '' && !DAWN_LIMIT_NOTICE.test(rest)) process.stderr.write(rest);
  });
}

function readReport(path: string): GpuCheckReport | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as GpuCheckReport;
  } catch {
    return null;
  }
}

function summary(report: GpuCheckReport): string[] {
  return sections(report).map(([name, s]) => {
    const extra =
      typeof s.samplesPerSecond === 'number'
        ? `: ${s.samplesPerSecond} samples/s`
        : name === 'training' && typeof s.firstLoss === 'number'
          ? `: loss ${String(s.firstLoss)} -> ${String(s.lastLoss)} in ${String(s.steps)} steps`
          : '';
    return `  ${name.padEnd(18)} ${s.status}${extra}${s.reason ? ` (${s.reason})` : ''}`;
  });
}

async function parent(options: GpuCheckOptions, args: readonly string[]): Promise<number> {
  mkdirSync(dirname(options.out), { recursive: true });
  const host = {
    hostname: hostname(),
    node: process.versions.node,
    platform: process.platform,
    arch: process.arch,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
  };
  // The report exists from the start: a check that dies early still leaves one.
  writeFileSync(options.out, `${JSON.stringify(emptyReport(options, host), null, 2)}\n`);
  const plan = planGpuEnvironment(['gpu-check'], process.env, cudaLibraryDirs(cudaDir(process.env)));
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, CHILD_FLAG, ...args], {
    stdio: ['ignore', 'inherit', 'pipe'],
    env: { ...process.env, ...plan.set },
  });
  forwardStderr(child.stderr!);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.budgetSeconds * 1000);
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  process.on('SIGINT', forward('SIGINT'));
  process.on('SIGTERM', forward('SIGTERM'));
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.on('error', () => done({ code: 1, signal: null }));
    child.on('close', (code, signal) => done({ code, signal }));
  });
  clearTimeout(timer);
  let report = readReport(options.out) ?? emptyReport(options, host);
  if (report.verdict === 'running') {
    const running = report.current ?? 'doctor';
    const why = timedOut
      ? `the check was stopped at its ${options.budgetSeconds} s budget while ${running} ran (on an Ampere/Hopper GPU the TensorFlow GPU build's first start compiles PTX for many minutes: run the check again, or set --budget-seconds)`
      : `the check process ended (${exit.signal ?? `exit code ${String(exit.code)}`}) while ${running} ran`;
    report = finishReport(report, { running, why });
    writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`);
  }
  console.log(`\ngpu:check ${report.verdict === 'pass' ? 'passed' : 'FAILED'}:`);
  for (const line of summary(report)) console.log(line);
  console.log(`report: ${resolve(options.out)}`);
  return report.verdict === 'pass' ? 0 : 1;
}

async function child(options: GpuCheckOptions): Promise<void> {
  const { runChecks } = await import('./gpu-check-run.js');
  const report = readReport(options.out);
  if (!report) throw new Error(`gpu:check: cannot read ${options.out}`);
  await runChecks(report, (line) => console.log(line));
}

async function main(): Promise<number> {
  const raw = process.argv.slice(2);
  const isChild = raw[0] === CHILD_FLAG;
  const args = isChild ? raw.slice(1) : raw;
  let options: GpuCheckOptions;
  try {
    options = parseGpuCheckArgs(args, join(process.cwd(), 'bench', 'results', 'gpu-check.json'));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    // --help: the usage on stdout, exit 0; a bad option: the problem and the usage on stderr, exit 2.
    if (err.message.startsWith('usage:')) {
      console.log(err.message);
      return 0;
    }
    console.error(err.message);
    return 2;
  }
  if (!isChild) return parent(options, args);
  await child(options);
  return 0;
}

main().then(
  // Explicit exit: Dawn's instance or a wasm thread pool must not keep the process alive.
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
