import type { CommandSpec } from './types.js';
import { runOptions, trainFlags } from './train-options.js';
import { flagDefault } from '../stores/settings.js';

/** The training flags a probe takes, keyed by config field: names and types from the field table, texts for the probes. */
const TRAIN_FLAG_TEXTS = {
  net: { describe: 'mlp | cnn (variance, paths; default mlp)', group: 'Model:' },
  arch: { describe: 'variance: comma list (default plain,residual,residual-bn); paths: residual | residual-bn', group: 'Model:' },
  depth: { describe: 'MLP: blocks (variance 32, shatter 24, paths 16). CNN: 6n+2 weight layers', group: 'Model:' },
  width: { describe: 'MLP: hidden units (variance 256, shatter 200, paths 128). CNN: channels', group: 'Model:' },
  block: { describe: 'CNN block: basic | bottleneck', group: 'Model:' },
  blockOrder: { describe: "post | branch | preact (default branch: the lecture's h_k = h_(k-1) + f_k[h_(k-1)])", group: 'Model:' },
  seed: { describe: 'Seed of the weights (default 1)', group: 'Model:' },
  dataset: { describe: 'Real inputs for variance and paths (default fashion-mnist)', group: 'Probe:' },
  batchSize: { describe: 'Inputs measured (variance 256, paths 128 for MLPs)', group: 'Probe:' },
} as const;

/** The options of the probes alone (flag name: help), each a string that contracts/probe-options.ts checks. */
const PROBE_FLAGS: Readonly<Record<string, string>> = {
  repeats: 'variance: initialisations averaged (default 4 for MLPs)',
  points: 'shatter: grid points on [-2, 2] (default 256)',
  bias: "shatter: biases of the nets without BN ~ U(-b/sqrt(fan-in), b/sqrt(fan-in)); default 1 (PyTorch's), 0 = all zero",
  spacing: 'shatter: distance between neighbouring inputs, grid centred on 0 (default: --points spread over [-2, 2])',
  'input-bias': "shatter: std of the input layer's bias (default 0: all biases zero)",
  samples: 'paths: random block subsets per path length (default 4)',
  limit: 'lesion: validation examples evaluated (default 2000)',
};

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** The option names `probe` passes on (camelCase, as yargs gives them): every flag above, and the backend. */
const PROBE_OPTION_KEYS: readonly string[] = [...Object.keys(TRAIN_FLAG_TEXTS), ...Object.keys(PROBE_FLAGS).map(camel), 'backend'];

export const probe: CommandSpec = {
  command: 'probe <what> [run]',
  describe: "The lecture's instruments: variance, shatter, paths, lesion, bn-scale",
  builder: (y) =>
    y
      .positional('what', { type: 'string', describe: 'variance | shatter | paths | lesion | bn-scale' })
      .positional('run', { type: 'string', describe: 'Run id, unique id prefix or folder (lesion, bn-scale; optional for paths)' })
      .options(trainFlags(TRAIN_FLAG_TEXTS))
      .options(
        Object.fromEntries(Object.entries(PROBE_FLAGS).map(([flag, describe]) => [flag, { type: 'string', describe, group: 'Probe:' }])),
      )
      .options(runOptions('Compute backend'))
      .option('json', { type: 'boolean', default: false, describe: 'Print the result as JSON', group: 'Run:' })
      .option('color', { type: 'boolean', ...flagDefault('color'), describe: 'Colours in the charts (--no-color: none)', group: 'Run:' })
      .example('$0 probe variance', 'variance per block at init: plain vs residual vs residual-bn, 32 blocks')
      .example('$0 probe variance --net cnn --depth 110 --arch residual,residual-bn', 'the same for ResNet-110 at init')
      .example('$0 probe shatter', 'gradients over a 1-D input: 1 block vs 24 blocks, with and without shortcuts')
      .example('$0 probe paths --depth 10', 'a 10-block residual net as an ensemble of 1,024 paths')
      .example('$0 probe paths 20261128-1830', 'gradient per path length in a trained run')
      .example('$0 probe lesion 20261128-1830', 'remove each block of a trained run in turn')
      .example('$0 probe bn-scale 20261128-1830', 'learned BatchNorm scales per block of a trained residual-bn run')
      .example('$0 probe variance --json > variance.json', 'the numbers, for a notebook'),
  run: async (args) => {
    const { probeCommand } = await import('./impl/probe.js');
    const raw: Record<string, unknown> = {};
    for (const k of PROBE_OPTION_KEYS) if (args[k] !== undefined) raw[k] = args[k];
    return probeCommand({
      what: String(args.what),
      run: args.run === undefined ? undefined : String(args.run),
      runRoot: String(args.runDir ?? 'checkpoints'),
      json: Boolean(args.json),
      noColor: args.color === false,
      raw,
    });
  },
};
