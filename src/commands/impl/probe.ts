/**
 * `resnet-tutor probe <what> [run]`: options and runs are checked here (UserError before any heavy
 * work), the probe runs in the engine worker (`EngineHost.probe`, the tutor's path too), and the
 * result is printed as a chart and a table, or as JSON. The main thread never imports tfjs.
 */
import { EXIT } from '../../util/errors.js';
import { colorEnabled } from '../../render/text-chart.js';
import { charsetFor, forCharset } from '../../util/output-style.js';
import { renderProbe } from '../../render/probe-text.js';
import { EngineHost } from '../../worker/engine-host.js';
import { resolveProbeRequest } from '../../worker/probe-request.js';
import type { ProbeAnswer } from '../../contracts/probe-protocol.js';

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
  const host = new EngineHost();
  try {
    // The worker's own console lines (no run, no request) are progress too, as the live line shows them.
    host.on((e) => {
      if (e.type === 'log' && e.runId === null) onProgress?.(e.message);
    });
    answer = await host.probe(request, request.options.backend ?? 'auto', onProgress);
  } finally {
    if (live) err('\r\x1b[K');
    await host.close();
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
