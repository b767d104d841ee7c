import { table as alignedTable } from '../util/format.js';
import { wrapWords } from '../util/wrap.js';
import type { CommandSpec } from './types.js';
import type { DoctorReport } from '../engine/doctor.js';
import { EXIT } from '../util/errors.js';

interface DoctorArgs {
  readonly json: boolean;
}

/** `resnet-tutor doctor`: backends, GPU, CUDA libraries, versions, and how to fix problems. */
export const doctor: CommandSpec<DoctorArgs> = {
  command: 'doctor',
  describe: 'Show which compute backends load here, the GPU and CUDA libraries seen, and how to fix problems',
  builder: (yargs) =>
    yargs
      .option('json', { type: 'boolean', default: false, describe: 'Print the report as JSON (for scripts and bug reports)' })
      .example('$0 doctor', 'Check this machine before training')
      .example('$0 doctor --json > doctor.json', 'Save the full report to attach to a bug report'),
  run: async (args) => {
    // Diagnosing loads the tfjs backends: it runs in a worker thread, as the main thread never loads
    // tfjs. The host is loaded only now, to keep `--help` fast.
    const { diagnoseInWorker } = await import('../worker/doctor-host.js');
    // The one slow case (CUDA compiling kernels from PTX): say so, on stderr, so stdout stays clean.
    const report = await diagnoseInWorker({}, (message) => process.stderr.write(`${message}\n`));
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatDoctorReport(report));
    return EXIT.ok;
  },
};

/** Wraps text to `width` columns; continuation lines get `indent`. */
export const wrap = wrapWords;

/** Aligned columns; a last column that would pass 80 columns wraps under itself. */
const table = (rows: readonly (readonly string[])[], indent = '  '): string[] => alignedTable(rows, { indent, width: 80 });

function mib(n: number | undefined): string {
  return n === undefined ? '?' : n >= 1024 ? `${(n / 1024).toFixed(0)} GiB` : `${n} MiB`;
}

/** The readable, plain-text form of the report (<= 80 columns where possible). */
export function formatDoctorReport(r: DoctorReport, width = 80): string {
  const out: string[] = [];
  const para = (text: string, first = '  ', indent = '    '): void => {
    out.push(...wrap(text, width, first, indent));
  };

  out.push('resnet-tutor doctor', '');
  const pk = r.packages;
  out.push(
    ...table(
      [
        ['Node.js', `${r.node.version}${r.node.ok ? ' (ok)' : ' (see warnings)'}`],
        [
          'TensorFlow.js',
          `tfjs-core ${pk['tfjs-core'] ?? 'missing'}, backend-cpu ${pk['tfjs-backend-cpu'] ?? 'missing'}, backend-wasm ${pk['tfjs-backend-wasm'] ?? 'missing'}`,
        ],
        ['Native builds', `tfjs-node ${pk['tfjs-node'] ?? 'not installed'}, tfjs-node-gpu ${pk['tfjs-node-gpu'] ?? 'not installed'}`],
      ],
      '',
    ),
  );

  out.push('', 'Backends (auto tries them in this order)');
  out.push(
    ...table([
      ['backend', 'found', 'loads', 'version', 'computes on'],
      ...r.backends.map((b) => [b.name, b.found ? 'yes' : 'no', b.loads, b.version ?? '-', b.computesOn ?? '-']),
    ]),
  );
  for (const b of r.backends) {
    if (!b.whyNot) continue;
    out.push('');
    para(`${b.name}: ${b.whyNot}.`);
    if (b.fix) para(`fix: ${b.fix}`, '    ', '      ');
  }

  out.push('', 'GPU');
  if (r.gpu.gpus.length === 0) {
    para(
      r.gpu.source === 'none'
        ? 'none seen (no nvidia-smi answer, no /proc/driver/nvidia)'
        : `NVIDIA driver ${r.gpu.driverVersion ?? '?'} is loaded, but no GPU is listed`,
    );
  } else {
    for (const [i, g] of r.gpu.gpus.entries()) {
      const bits = [`${i}: ${g.name}`];
      if (g.memoryTotalMiB !== undefined) bits.push(`${mib(g.memoryUsedMiB)} / ${mib(g.memoryTotalMiB)} used`);
      if (g.utilizationPercent !== undefined) bits.push(`${g.utilizationPercent}% busy`);
      if (g.computeCapability) bits.push(`compute capability ${g.computeCapability}`);
      para(bits.join(', '));
    }
    para(`seen by ${r.gpu.source}${r.gpu.driverVersion ? `, driver ${r.gpu.driverVersion}` : ''}`);
  }

  out.push(
    '',
    `CUDA libraries the GPU build needs (${r.cuda.needs.replace(/^libtensorflow 2\.9\.1 \(inside tfjs-node-gpu 4\.22\) needs /, '')})`,
  );
  out.push(
    ...table(
      [...r.cuda.libraries, r.cuda.driverLibrary].map((l) => [
        l === r.cuda.driverLibrary ? `${l.name} (driver)` : l.name,
        l.found ? 'found' : 'missing',
        l.path ? `${l.path}${l.via === 'LD_LIBRARY_PATH' ? ' (LD_LIBRARY_PATH)' : ''}` : '',
      ]),
    ),
  );
  para(
    `CUDA runtimes present: ${r.cuda.cudaMajors.length ? r.cuda.cudaMajors.map((m) => `CUDA ${m}`).join(', ') : 'none'}; ` +
      `cuDNN: ${r.cuda.cudnnMajors.length ? r.cuda.cudnnMajors.map((m) => `cuDNN ${m}`).join(', ') : 'none'}`,
  );

  if (r.warnings.length > 0) {
    out.push('', 'Warnings');
    for (const w of r.warnings) para(w, '  ! ', '    ');
  }
  if (r.notes.length > 0) {
    out.push('', 'Notes');
    for (const n of r.notes) para(n, '  - ', '    ');
  }
  out.push('');
  out.push(...wrap(`Best backend here: ${r.best.line}`, width, '', '  '));
  return `${out.join('\n')}\n`;
}
