/**
 * The one table of training options: for each, its CLI flag, its lesson key, its field in
 * `TrainConfig`, its type and range or choices, its default and its help text. It drives the yargs
 * options of `train`, `compare` and `probe` (commands/train-options.ts), the keys a lesson's
 * experiment may set (lessons/check/, lessons/experiment-runner.ts) and the per-field checks of
 * `resolveConfig` (contracts/train-config.ts). A new training option is one row here, its field in
 * `TrainConfig`, and whatever cross-field rule `resolveConfig` needs. No tfjs, no yargs here.
 */
import { UserError } from '../util/errors.js';
import type { TrainConfig } from './train-config.js';

export const NETS = ['mlp', 'cnn', 'unet'] as const;
/**
 * `densenet` is a CNN only (dense blocks concatenate instead of adding). For `--net unet`, `plain` means
 * without the skip concatenations and `residual-bn` (or `residual`) with them.
 */
export const ARCHS = ['plain', 'plain-bn', 'residual', 'residual-bn', 'densenet'] as const;
export const BLOCKS = ['basic', 'bottleneck'] as const;
/**
 * Residual block orders from the lecture: `post` is He et al. 2015 (ReLU after the addition), `branch`
 * keeps the ReLU inside the branch only (the block can add and subtract), `preact` is He et al. 2016
 * (BN-ReLU-weight, the identity path untouched).
 */
export const BLOCK_ORDERS = ['post', 'branch', 'preact'] as const;
/**
 * Shortcuts where a block changes shape: `projection` is a 1x1 convolution with the block's stride
 * (and BN), He et al. 2015's option B; `zero-pad` is their option A, parameter-free: the input
 * subsampled with the stride and the extra channels zero (the option their CIFAR-10 nets use).
 */
export const SHORTCUTS = ['projection', 'zero-pad'] as const;
/** `crop-flip`: He et al. 2015's CIFAR-10 augmentation, 4-pixel zero padding, a random crop back to size, a random horizontal flip. */
export const AUGMENTS = ['none', 'crop-flip'] as const;
/**
 * Named recipes: every field of a paper's setting at once (explicit flags still override).
 * `he2015-cifar`: He et al. 2015, section 4.2, ResNet-20 on CIFAR-10; 8.75% test error in their
 * Table 6 (a GPU job: 64k steps of batch 128).
 */
export const RECIPES = ['he2015-cifar'] as const;
export const OPTIMIZERS = ['sgd', 'momentum', 'adam'] as const;
export const SCHEDULES = ['constant', 'step', 'cosine'] as const;

/** A field of `TrainConfig`, or `recipe` (which sets several fields and is not stored itself). */
export type FieldName = keyof TrainConfig | 'recipe';
export type FieldType = 'number' | 'int' | 'enum' | 'bool' | 'string';
export type FieldGroup = 'Model:' | 'Data:' | 'Training:' | 'Run:';

export interface TrainField {
  /** The field in `TrainConfig` (camelCase; yargs gives the flag under this name too). */
  readonly field: FieldName;
  /** The CLI flag, without `--`. */
  readonly flag: string;
  /** The key in a lesson's experiment block; null: lessons may not set it (the runner decides). */
  readonly lessonKey: string | null;
  readonly type: FieldType;
  /** The allowed values of an `enum` field. */
  readonly choices?: readonly string[];
  /** Bounds of a number or int field; `minExclusive`: the value must be greater than `min`. */
  readonly min?: number;
  readonly minExclusive?: boolean;
  readonly max?: number;
  /**
   * The value when the field is not given; null: absent (e.g. no step limit). Depth and width
   * depend on the net (`resolveConfig`); theirs is the MLP's.
   */
  readonly default: string | number | boolean | null;
  /** A lesson may write `none` for the default (e.g. `train-limit: none` in a `full:` variant). */
  readonly lessonNone?: boolean;
  /** The group in `--help`. */
  readonly group: FieldGroup;
  readonly help: string;
}

/** In `--help` order (within each group). */
export const TRAIN_FIELD_TABLE: readonly TrainField[] = [
  {
    field: 'recipe',
    flag: 'recipe',
    lessonKey: 'recipe',
    type: 'enum',
    choices: RECIPES,
    default: null,
    group: 'Model:',
    help: `${RECIPES.join(' | ')}: a paper's whole setting (flags given with it override its fields). he2015-cifar = He et al. 2015's ResNet-20 on CIFAR-10: option A shortcuts, 4-pixel pad + random crop + flip, 45k/5k split, batch 128, lr 0.1, momentum 0.9, weight decay 1e-4, lr/10 at 32k and 48k, 64k steps; the paper's 8.75% test error (Table 6) is a target for a GPU`,
  },
  {
    field: 'net',
    flag: 'net',
    lessonKey: 'net',
    type: 'enum',
    choices: NETS,
    default: 'mlp',
    group: 'Model:',
    help: `Network family: ${NETS.join(' | ')}`,
  },
  {
    field: 'arch',
    flag: 'arch',
    lessonKey: 'arch',
    type: 'enum',
    choices: ARCHS,
    default: 'residual-bn',
    group: 'Model:',
    help: `${ARCHS.join(' | ')} (default residual-bn; densenet with --net cnn only; with --net unet, plain = without the skip concatenations, residual-bn = with them)`,
  },
  {
    field: 'depth',
    flag: 'depth',
    lessonKey: 'depth',
    type: 'int',
    min: 1,
    max: 1202,
    default: 8,
    group: 'Model:',
    help: 'MLP: number of blocks (default 8). CNN: weight layers, 6n+2 e.g. 20, 32, 56, 110 (default 20); densenet: conv layers 3n+4 e.g. 16, 22, 40 (default 16). U-Net: fixed (2 levels down, a bottleneck, 2 up), --depth ignored',
  },
  {
    field: 'width',
    flag: 'width',
    lessonKey: 'width',
    type: 'int',
    min: 1,
    max: 4096,
    default: 128,
    group: 'Model:',
    help: 'MLP: hidden units (default 128). CNN: first-stage channels (default 16); densenet: growth rate k (default 12). U-Net: base channels (default 8)',
  },
  {
    field: 'block',
    flag: 'block',
    lessonKey: 'block',
    type: 'enum',
    choices: BLOCKS,
    default: 'basic',
    group: 'Model:',
    help: `CNN block: ${BLOCKS.join(' | ')}`,
  },
  {
    field: 'blockOrder',
    flag: 'block-order',
    lessonKey: 'block-order',
    type: 'enum',
    choices: BLOCK_ORDERS,
    default: 'post',
    group: 'Model:',
    help: `${BLOCK_ORDERS.join(' | ')}: ReLU after the addition (He 2015), ReLU inside the branch only, or BN-ReLU-weight pre-activation (He 2016)`,
  },
  {
    field: 'shortcut',
    flag: 'shortcut',
    lessonKey: 'shortcut',
    type: 'enum',
    choices: SHORTCUTS,
    default: 'projection',
    group: 'Model:',
    help: `${SHORTCUTS.join(' | ')}: where a CNN block changes shape, a 1x1 convolution (default) or He's parameter-free option A`,
  },
  {
    field: 'augment',
    flag: 'augment',
    lessonKey: 'augment',
    type: 'enum',
    choices: AUGMENTS,
    default: 'none',
    group: 'Data:',
    help: `${AUGMENTS.join(' | ')}: crop-flip = 4-pixel zero pad, random crop, random flip`,
  },
  {
    field: 'holdout',
    flag: 'holdout',
    lessonKey: 'holdout',
    type: 'int',
    min: 1,
    default: null,
    group: 'Data:',
    help: 'Validate on this many held-out training examples instead of the test split (he2015-cifar: 5000)',
  },
  {
    field: 'dataset',
    flag: 'dataset',
    lessonKey: 'dataset',
    type: 'string',
    default: 'fashion-mnist',
    group: 'Data:',
    help: 'fashion-mnist (default) | mnist | cifar10 | synthetic-1d | synthetic-spiral | synthetic-shapes | synthetic-segment (segmentation, --net unet)',
  },
  {
    field: 'trainLimit',
    flag: 'train-limit',
    lessonKey: 'train-limit',
    type: 'int',
    min: 1,
    default: null,
    lessonNone: true,
    group: 'Data:',
    help: 'Use at most this many training examples',
  },
  {
    field: 'valLimit',
    flag: 'val-limit',
    lessonKey: 'val-limit',
    type: 'int',
    min: 1,
    default: null,
    lessonNone: true,
    group: 'Data:',
    help: 'Use at most this many validation examples',
  },
  {
    field: 'epochs',
    flag: 'epochs',
    lessonKey: 'epochs',
    type: 'int',
    min: 1,
    default: 1,
    group: 'Training:',
    help: 'Passes over the training set (default 1)',
  },
  {
    field: 'steps',
    flag: 'steps',
    lessonKey: 'steps',
    type: 'int',
    min: 1,
    default: null,
    lessonNone: true,
    group: 'Training:',
    help: 'Stop after this many steps instead of --epochs',
  },
  {
    field: 'batchSize',
    flag: 'batch-size',
    lessonKey: 'batch-size',
    type: 'int',
    min: 1,
    max: 65536,
    default: 64,
    group: 'Training:',
    help: 'Examples per step (default 64)',
  },
  {
    field: 'lr',
    flag: 'lr',
    lessonKey: 'lr',
    type: 'number',
    min: 0,
    minExclusive: true,
    default: 0.05,
    group: 'Training:',
    help: 'Learning rate (default 0.05)',
  },
  {
    field: 'optimizer',
    flag: 'optimizer',
    lessonKey: 'optimizer',
    type: 'enum',
    choices: OPTIMIZERS,
    default: 'momentum',
    group: 'Training:',
    help: `${OPTIMIZERS.join(' | ')} (default momentum 0.9)`,
  },
  {
    field: 'momentum',
    flag: 'momentum',
    lessonKey: 'momentum',
    type: 'number',
    min: 0,
    max: 0.9999,
    default: 0.9,
    group: 'Training:',
    help: 'Momentum for --optimizer momentum (default 0.9)',
  },
  {
    field: 'weightDecay',
    flag: 'weight-decay',
    lessonKey: 'weight-decay',
    type: 'number',
    min: 0,
    default: 0,
    group: 'Training:',
    help: 'L2 weight decay on weights (default 0)',
  },
  {
    field: 'schedule',
    flag: 'schedule',
    lessonKey: 'schedule',
    type: 'enum',
    choices: SCHEDULES,
    default: 'constant',
    group: 'Training:',
    help: `Learning-rate schedule: ${SCHEDULES.join(' | ')}`,
  },
  {
    field: 'seed',
    flag: 'seed',
    lessonKey: 'seed',
    type: 'int',
    min: 0,
    max: 2 ** 32 - 1,
    default: 1,
    group: 'Training:',
    help: 'Seed for weights and batch order (default 1)',
  },
  {
    field: 'logEvery',
    flag: 'log-every',
    lessonKey: 'log-every',
    type: 'int',
    min: 1,
    default: 10,
    group: 'Run:',
    help: 'Write a metrics line every N steps (default 10)',
  },
  {
    field: 'checkpointEvery',
    flag: 'checkpoint-every',
    lessonKey: null,
    type: 'int',
    min: 0,
    default: 500,
    group: 'Run:',
    help: 'Checkpoint every N steps, 0 = only at epoch ends and on stop (default 500)',
  },
  {
    field: 'keep',
    flag: 'keep',
    lessonKey: null,
    type: 'int',
    min: 1,
    default: 3,
    group: 'Run:',
    help: 'Keep the newest K checkpoints (default 3)',
  },
];

const BY_FIELD = new Map(TRAIN_FIELD_TABLE.map((f) => [f.field, f]));
const BY_LESSON_KEY = new Map(TRAIN_FIELD_TABLE.flatMap((f) => (f.lessonKey === null ? [] : [[f.lessonKey, f] as const])));

/** The row of a field; throws on a name that is not in the table (a programming error). */
export function trainField(field: FieldName): TrainField {
  const f = BY_FIELD.get(field);
  if (!f) throw new Error(`no training field ${field} in TRAIN_FIELD_TABLE`);
  return f;
}

/** The row a lesson key names, if it is a training field. */
export function trainFieldOfLessonKey(key: string): TrainField | undefined {
  return BY_LESSON_KEY.get(key);
}

/** The lesson keys of the training fields, in table order. */
export const LESSON_TRAIN_KEYS: readonly string[] = [...BY_LESSON_KEY.keys()];

/**
 * A configuration value that is wrong, with the field it is about (the config name, e.g.
 * `batchSize`), so that a caller can point at where that field was written (a lesson's line)
 * without reading the message.
 */
export class ConfigError extends UserError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Checks one given value against its row and returns it typed; `undefined` or null gives
 * `fallback` (the row's default unless the caller knows better, as for depth and width).
 * `where` names the field for messages (`--batch-size`, or `` `batchSize` in <lesson> ``).
 */
export function readField(
  f: TrainField,
  v: unknown,
  where: string,
  fallback: TrainField['default'] = f.default,
): string | number | boolean | null {
  if (v === undefined || v === null) return fallback;
  switch (f.type) {
    case 'enum': {
      const allowed = f.choices ?? [];
      if (typeof v === 'string' && allowed.includes(v)) return v;
      throw new ConfigError(f.field, `${where} must be one of ${allowed.join(', ')}; got "${String(v)}".`);
    }
    case 'string':
      return typeof v === 'string' && v !== '' ? v : fallback;
    case 'bool':
      if (typeof v === 'boolean') return v;
      if (v === 'true' || v === 'false') return v === 'true';
      throw new ConfigError(f.field, `${where} must be true or false; got "${String(v)}".`);
    case 'int':
    case 'number': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      const int = f.type === 'int';
      const range = f.min !== undefined ? ` ${f.minExclusive ? 'greater than' : 'at least'} ${f.min}` : '';
      const bad = () =>
        new ConfigError(
          f.field,
          `${where} must be ${int ? 'an integer' : 'a number'}${range}${f.max !== undefined ? ` and at most ${f.max}` : ''}; got "${String(v)}".`,
        );
      if (!Number.isFinite(n)) throw bad();
      if (int && !Number.isInteger(n)) throw bad();
      if (f.min !== undefined && (f.minExclusive ? n <= f.min : n < f.min)) throw bad();
      if (f.max !== undefined && n > f.max) throw bad();
      return n;
    }
  }
}
