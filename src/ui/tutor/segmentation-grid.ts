/**
 * Draws segmentation examples as character grids, one character per pixel, input | target |
 * prediction side by side (lesson 8's U-Net experiment). Pure: no Ink, no tfjs.
 */

/** Shades from dark to bright: Unicode blocks, and an ASCII fallback for terminals without them. */
export const SHADES_UNICODE = [' ', '░', '▒', '▓', '█'] as const;
export const SHADES_ASCII = [' ', '.', ':', '#', '@'] as const;

/** One validation example: the input, its target mask, and one prediction per compared run. */
export interface SegmentationExample {
  readonly input: readonly number[];
  readonly target: readonly number[];
  /** Per-pixel probabilities in [0, 1], labelled by run ("prediction" when there is one run). */
  readonly predictions: readonly { readonly label: string; readonly values: readonly number[] }[];
}

/** What the engine returns for one run (see the worker's `predictions` message). */
export interface RunPredictions {
  readonly label: string;
  readonly shape: readonly [number, number];
  readonly examples: readonly {
    readonly input: readonly number[];
    readonly target: readonly number[];
    readonly prediction: readonly number[];
  }[];
}

/**
 * Puts several runs' predictions on the same validation examples together (the runs of one
 * experiment share the data set and seed, so their first examples are the same images).
 */
export function mergeRunPredictions(runs: readonly RunPredictions[]): {
  shape: readonly [number, number];
  examples: SegmentationExample[];
} {
  const first = runs[0];
  if (!first) return { shape: [0, 0], examples: [] };
  const examples = first.examples.map((ex, i) => ({
    input: ex.input,
    target: ex.target,
    predictions: runs.map((r) => ({
      label: runs.length === 1 ? 'prediction' : r.label || 'prediction',
      values: r.examples[i]?.prediction ?? [],
    })),
  }));
  return { shape: first.shape, examples };
}

export interface GridOptions {
  /** Use ' .:#@' instead of the block characters. */
  readonly ascii?: boolean;
  /** Characters between the panels. */
  readonly gap?: string;
}

/**
 * One panel: `height` lines of `width` characters. Values are scaled by `range` ([min, max]; the
 * panel's own range when not given) to the shades, so a mask in [0, 1] uses the full scale.
 */
export function renderPanel(
  values: readonly number[],
  height: number,
  width: number,
  shades: readonly string[],
  range?: readonly [number, number],
): string[] {
  let [lo, hi] = range ?? [Infinity, -Infinity];
  if (!range) {
    for (const v of values) {
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
  }
  const span = hi - lo;
  const lines: string[] = [];
  for (let r = 0; r < height; r++) {
    let line = '';
    for (let c = 0; c < width; c++) {
      const v = values[r * width + c];
      const t = v === undefined || !Number.isFinite(v) || !(span > 0) ? 0 : Math.min(1, Math.max(0, (v - lo) / span));
      line += shades[Math.min(shades.length - 1, Math.round(t * (shades.length - 1)))];
    }
    lines.push(line);
  }
  return lines;
}

/**
 * Lines for each example: a header ("input", "target", then each prediction's label) and the panels
 * side by side. The input is scaled to its own range; target and predictions (probabilities) to [0, 1].
 */
export function renderSegmentationGrids(
  examples: readonly SegmentationExample[],
  shape: readonly [number, number],
  options: GridOptions = {},
): string[] {
  const [height, width] = shape;
  const shades = options.ascii ? SHADES_ASCII : SHADES_UNICODE;
  const gap = options.gap ?? ' | ';
  const pad = (s: string) => (s.length >= width ? s.slice(0, width) : s + ' '.repeat(width - s.length));
  const out: string[] = [];
  examples.forEach((ex, i) => {
    if (i > 0) out.push('');
    out.push([pad('input'), pad('target'), ...ex.predictions.map((p) => pad(p.label))].join(gap).trimEnd());
    const panels = [
      renderPanel(ex.input, height, width, shades),
      renderPanel(ex.target, height, width, shades, [0, 1]),
      ...ex.predictions.map((p) => renderPanel(p.values, height, width, shades, [0, 1])),
    ];
    for (let r = 0; r < height; r++) out.push(panels.map((p) => p[r]).join(gap));
  });
  return out;
}
