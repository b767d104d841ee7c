/**
 * Running a probe from the main thread: options and runs are checked here (UserError before any
 * heavy work), the probe runs in its own worker (src/worker/probe-worker.ts), and the result is
 * printed as a chart and a table, or as JSON. The main thread never imports tfjs.
 */
import { Worker } from 'node:worker_threads';
import { EXIT, UserError } from '../util/errors.js';
import {
  isProbeName,
  resolveBnScaleOptions,
  resolveLesionOptions,
  resolvePathsOptions,
  resolveShatterOptions,
  resolveVarianceOptions,
  unknownProbe,
  type ProbeRequest,
  type RunRef,
} from '../contracts/probe-options.js';
import { findRun, readRunInfo } from '../runs/run-dir.js';
import { colorEnabled } from '../render/text-chart.js';
import { charsetFor, forCharset } from '../util/output-style.js';
import { parseProbeFromWorker, type ProbeBackend, type ProbeResult } from '../contracts/probe-protocol.js';
import { compiledWorker } from '../worker/worker-path.js';
import { renderProbe } from '../render/probe-text.js';

/**
 * Checks a probe request as given on the command line or in a lesson: the probe's name, its options,
 * and the run it reads (found in `runRoot` by id, unique prefix or path).
 */
export function resolveProbeRequest(
  what: string,
  runName: string | undefined,
  runRoot: string,
  raw: Readonly<Record<string, unknown>>,
  source = 'flag',
): ProbeRequest {
  if (!isProbeName(what)) throw unknownProbe(what);
  const runRef = (name: string): RunRef => {
    const path = findRun(runRoot, name);
    const info = readRunInfo(path);
    return { id: info.id, path, config: info.config };
  };
  switch (what) {
    case 'variance':
    case 'shatter':
      if (runName !== undefined) {
        throw new UserError(
          `The ${what} probe measures freshly initialised nets and reads no run; leave out "${runName}". ` +
            'The probes that read a trained run are `resnet-tutor probe lesion <run>` and `resnet-tutor probe paths <run>`.',
        );
      }
      return what === 'variance'
        ? { probe: 'variance', options: resolveVarianceOptions(raw, source) }
        : { probe: 'shatter', options: resolveShatterOptions(raw, source) };
    case 'paths':
      return { probe: 'paths', options: resolvePathsOptions(raw, runName === undefined ? null : runRef(runName), source) };
    case 'lesion':
      if (runName === undefined) {
        throw new UserError(
          'The lesion probe removes blocks from a trained network: name a run, e.g. `resnet-tutor probe lesion <run>` ' +
            '(an id, a unique id prefix or a run folder). List runs with `resnet-tutor runs`; train one with `resnet-tutor train`.',
        );
      }
      return { probe: 'lesion', options: resolveLesionOptions(raw, runRef(runName), source) };
    case 'bn-scale':
      if (runName === undefined) {
        throw new UserError(
          'The bn-scale probe reads the learned BatchNorm scales of a trained network: name a run, e.g. `resnet-tutor probe bn-scale <run>` ' +
            '(an id, a unique id prefix or a run folder) trained with --arch residual-bn or plain-bn. List runs with `resnet-tutor runs`.',
        );
      }
      return { probe: 'bn-scale', options: resolveBnScaleOptions(raw, runRef(runName), source) };
  }
}

export interface ProbeAnswer {
  readonly result: ProbeResult;
  readonly backend: ProbeBackend;
}

/**
 * Runs a checked request in a fresh probe worker and resolves with its result. A UserError from the
 * worker (a checkpoint that cannot be read, a backend that does not load) is rethrown as one.
 */
export async function runProbeInWorker(request: ProbeRequest, onProgress?: (message: string) => void): Promise<ProbeAnswer> {
  const worker = new Worker(compiledWorker('probe-worker'), { stdout: true, stderr: true });
  worker.stdout.resume();
  worker.stderr.resume();
  try {
    return await new Promise<ProbeAnswer>((resolve, reject) => {
      worker.on('message', (raw: unknown) => {
        let msg;
        try {
          msg = parseProbeFromWorker(raw);
        } catch (err) {
          reject(err as Error);
          return;
        }
        if (msg.type === 'progress') onProgress?.(msg.message);
        else if (msg.type === 'result') resolve({ result: msg.result, backend: msg.backend });
        else reject(msg.user ? new UserError(msg.message) : new Error(msg.message));
      });
      worker.on('error', (err: Error & { code?: string }) =>
        reject(
          err.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new UserError('The probe worker ran out of memory; try a smaller --batch-size, --width or --depth.')
            : new Error(`the probe worker crashed: ${err.message}`),
        ),
      );
      worker.on('exit', (code) => reject(new Error(`the probe worker exited unexpectedly (code ${code})`)));
      worker.postMessage({ v: 1, ...request });
    });
  } finally {
    await worker.terminate();
  }
}

export interface ProbeCommandArgs {
  readonly what: string;
  readonly run?: string;
  readonly runRoot: string;
  readonly json: boolean;
  /** --no-color (the one colour policy, output-style.ts). */
  readonly noColor?: boolean;
  /** Probe options in camelCase, as yargs parsed them (strings). */
  readonly raw: Readonly<Record<string, unknown>>;
  /** Where output goes (tests pass collectors). */
  readonly out?: (text: string) => void;
  readonly err?: (text: string) => void;
}

/** `resnet-tutor probe <what> [run]`: returns the exit code. */
export async function probeCommand(args: ProbeCommandArgs): Promise<number> {
  const request = resolveProbeRequest(args.what, args.run, args.runRoot, args.raw);
  const out = args.out ?? ((text: string) => process.stdout.write(text));
  const live = !args.json && args.err === undefined && process.stderr.isTTY === true;
  const err = args.err ?? ((text: string) => process.stderr.write(text));
  const onProgress = live ? (message: string) => err(`\r\x1b[K${message.slice(0, (process.stderr.columns || 80) - 1)}`) : undefined;
  let answer: ProbeAnswer;
  try {
    answer = await runProbeInWorker(request, onProgress);
  } finally {
    if (live) err('\r\x1b[K');
  }
  if (args.json) {
    out(`${JSON.stringify({ ...answer.result, backend: answer.backend }, null, 2)}\n`);
    return EXIT.ok;
  }
  const width = Math.max(60, Math.min(100, process.stdout.columns || 80));
  const color = colorEnabled(process.stdout, process.env, args.noColor ? false : undefined);
  out(forCharset(renderProbe(answer.result, { width, color }), charsetFor(), width));
  out(`computed on ${answer.backend.device} (${answer.backend.name})\n`);
  for (const w of answer.backend.warnings) err(`warning: ${w}\n`);
  return EXIT.ok;
}
