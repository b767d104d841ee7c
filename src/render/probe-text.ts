/**
 * Probe results as plain text: a chart (src/render/text-chart.ts, asciichart underneath) and a table per
 * probe. Main thread only, no tfjs: the results are the plain objects the engine returns, so the CLI,
 * the lesson player and tests all render the same way.
 */
import type { BnScaleResult } from '../contracts/probe-results.js';
import type { LesionResult } from '../contracts/probe-results.js';
import type { PathsResult } from '../contracts/probe-results.js';
import type { ShatterNet, ShatterResult } from '../contracts/probe-results.js';
import type { GrowthFit } from '../contracts/probe-results.js';
import type { VarianceResult, VarianceSeries } from '../contracts/probe-results.js';
import { compactNum as num, table as alignedTable } from '../util/format.js';
import { DEFAULT_COLORS, renderChart, type ChartColor } from './text-chart.js';
import type { ProbeResult } from '../contracts/probe-protocol.js';

export type RenderOptions = {
  /** Columns of the output. @default 80 */
  readonly width?: number;
  /** ANSI colours for the chart lines. @default false */
  readonly color?: boolean;
};

export function renderProbe(result: ProbeResult, options: RenderOptions = {}): string {
  switch (result.probe) {
    case 'variance':
      return renderVariance(result, options);
    case 'shatter':
      return renderShatter(result, options);
    case 'paths':
      return renderPaths(result, options);
    case 'lesion':
      return renderLesion(result, options);
    case 'bn-scale':
      return renderBnScale(result, options);
  }
}

/** What the lecture predicts, by architecture, for the variance probe. */
export const LECTURE_VARIANCE: Readonly<Record<string, string>> = {
  plain: 'stays about constant (He init)',
  residual: 'doubles with every block (exponential growth)',
  'residual-bn': 'grows linearly, about one unit per block',
};

export function renderVariance(r: VarianceResult, options: RenderOptions = {}): string {
  const width = options.width ?? 80;
  const out: string[] = [];
  out.push(
    ...wrap(
      `probe variance: ${r.net}, ${r.blocks} blocks${r.net === 'cnn' ? ` (depth ${r.depth})` : ''}, width ${r.width}, ` +
        `block order ${r.blockOrder}, He init, seed ${r.seed}. E[h²] of each block's output at initialisation, over ` +
        `${r.batchSize} ${r.dataset} inputs${r.repeats > 1 ? `, mean of ${r.repeats} initialisations` : ''}.`,
      width,
    ),
    '',
  );
  out.push(
    renderChart({
      title: 'E[h²] per block (log scale)',
      series: r.series.map((s) => s.meanSquare.map((v) => v ?? Infinity)),
      labels: r.series.map((s) => `${s.label}: ${perBlock(s.fit)} per block`),
      log: true,
      height: 12,
      width,
      xRange: ['block 1', `block ${r.blocks}`],
      ...colorsOf(options),
    }).trimEnd(),
    '',
  );
  const cols = sampleBlocks(r.blocks);
  const head = ['', ...cols.map((k) => `block ${k}`), 'per block', 'law'];
  const rowsOf = (pick: (s: VarianceSeries) => readonly (number | null)[], fit: (s: VarianceSeries) => GrowthFit) =>
    r.series.map((s) => [s.label, ...cols.map((k) => num(pick(s)[k - 1] ?? null)), perBlock(fit(s)), fit(s).law]);
  out.push("E[h²], the lecture's variance (an expectation over the random weights):");
  out.push(
    ...table([
      head,
      ...rowsOf(
        (s) => s.meanSquare,
        (s) => s.fit,
      ),
    ]),
  );
  out.push('', "Batch variance (each unit's variance across the batch; BatchNorm sets it to 1):");
  out.push(
    ...table([
      head,
      ...rowsOf(
        (s) => s.batchVariance,
        (s) => s.batchVarianceFit,
      ),
    ]),
  );
  out.push('');
  for (const s of r.series) {
    const predicted = LECTURE_VARIANCE[s.arch];
    if (predicted) out.push(...wrap(`${s.label}: lecture: ${predicted}. Measured: ${growthText(s.fit)}.`, width));
  }
  if (r.stageStarts.length > 1) {
    out.push(
      ...wrap(
        `The CNN's stages start at blocks ${r.stageStarts.join(', ')}; the fits measure growth inside the stages (a projection shortcut with ` +
          "BatchNorm starts a stage afresh). Zero padding: a 3x3 convolution at a map's border sees fewer inputs, so a plain CNN loses " +
          'variance with depth, most on the small maps of the last stage.',
        width,
      ),
    );
  }
  const plain = r.series.find((s) => s.arch === 'plain');
  if (plain && plain.fit.law === 'constant' && plain.batchVarianceFit.law === 'decaying') {
    out.push(
      ...wrap(
        'plain: its batch variance decays while E[h²] stays: a deep ReLU net maps different inputs ever closer to one direction.',
        width,
      ),
    );
  }
  return `${out.join('\n')}\n`;
}

/** The growth per block in a few characters: "x2.01" (a factor) or "+0.99" (an increase). */
function perBlock(fit: GrowthFit): string {
  if (fit.law === 'linear' && fit.slope !== null) return `${fit.slope >= 0 ? '+' : ''}${num(fit.slope)}`;
  return fit.ratio === null ? '-' : `x${fit.ratio.toFixed(2)}`;
}

/** The fitted growth in words, e.g. "x1.98 per block (geometric fit, R² 1.00), exponential". */
export function growthText(fit: GrowthFit): string {
  const geo = fit.ratio === null ? null : `x${fit.ratio.toFixed(2)} per block (geometric fit, R² ${fixed(fit.geometricR2)})`;
  const lin = fit.slope === null ? null : `${fit.slope >= 0 ? '+' : ''}${num(fit.slope)} per block (linear fit, R² ${fixed(fit.linearR2)})`;
  const first = fit.law === 'linear' ? [lin, geo] : [geo, lin];
  return `${first.filter(Boolean).join('; ')}: ${fit.law}`;
}

export function renderShatter(r: ShatterResult, options: RenderOptions = {}): string {
  const width = options.width ?? 80;
  const out: string[] = [];
  out.push(
    ...wrap(
      `probe shatter: dy/dx of a 1-D net over ${r.points} inputs on [${r.range[0]}, ${r.range[1]}], width ${r.width}, He init, ` +
        `${biasText(r)}, block order ${r.blockOrder}, seed ${r.seed}; neighbouring inputs ${r.spacing.toPrecision(3)} apart. ` +
        'BatchNorm uses the grid as its batch; each gradient holds those statistics fixed.',
      width,
    ),
    '',
  );
  for (const net of r.nets) {
    out.push(
      renderChart({
        title: `${net.label}: dy/dx (standardised), neighbour corr. ${fixed(net.neighbourCorrelation)}`,
        series: [standardised(net)],
        labels: [net.label],
        height: 5,
        width,
        xRange: [`x = ${r.range[0]}`, `x = ${r.range[1]}`],
        ...colorsOf(options),
      })
        .trimEnd()
        .split('\n')
        .slice(0, -1)
        .join('\n'),
    );
  }
  out.push('');
  out.push(
    renderChart({
      title: 'Autocorrelation of dy/dx against input distance',
      series: r.nets.map((n) => [...n.autocorrelation]),
      labels: r.nets.map((n) => n.label),
      height: 10,
      width,
      xRange: ['distance 0', `distance ${r.maxDistance.toFixed(2)}`],
      ...colorsOf(options),
    }).trimEnd(),
    '',
  );
  out.push(
    ...table([
      ['net', 'neighbour corr.', 'corr. length', 'gradients'],
      ...r.nets.map((n) => [
        n.label,
        fixed(n.neighbourCorrelation),
        n.correlationLength === null ? `> ${r.maxDistance.toFixed(2)}` : n.correlationLength.toFixed(3),
        verdict(n),
      ]),
    ]),
  );
  out.push('');
  const homogeneous = r.nets.filter((n) => !n.batchNorm && r.inputBias === 0 && r.bias === 0);
  if (homogeneous.length > 0) {
    out.push(
      ...wrap(
        `${homogeneous.map((n) => n.key).join(' and ')}: without BatchNorm and with every bias zero, a ReLU net is positively homogeneous, ` +
          'y(a·x) = a·y(x) for a > 0, so with a 1-D input its gradient can only change at x = 0: it cannot shatter at any depth. ' +
          'BatchNorm subtracts the batch mean, which acts like a bias. Leave out --bias 0 to give the nets random biases.',
        width,
      ),
    );
  }
  const deep = r.nets.find((n) => n.key === 'plain-bn');
  const res = r.nets.find((n) => n.key === 'residual-bn');
  if (deep && res) {
    out.push(
      ...wrap(
        `With BatchNorm, ${deep.blocks} blocks without shortcuts give neighbour correlation ${fixed(deep.neighbourCorrelation)}; ` +
          `the same blocks with shortcuts keep ${fixed(res.neighbourCorrelation)}.`,
        width,
      ),
    );
  }
  return `${out.join('\n')}\n`;
}

/** How the probe set the biases of the nets without BatchNorm. */
function biasText(r: ShatterResult): string {
  const all =
    r.bias > 0 ? `biases of the nets without BN ~ U(±${r.bias}/√fan-in)${r.bias === 1 ? " (PyTorch's default)" : ''}` : 'zero biases';
  return r.inputBias > 0 ? `${all}, input-layer bias ~ N(0, ${r.inputBias}²)` : all;
}

function verdict(n: ShatterNet): string {
  const c = n.neighbourCorrelation;
  if (c === null) return n.gradient.some((g) => g === null) ? 'overflowed' : 'constant';
  if (c < 0.2) return 'shattered (white noise)';
  if (c < 0.8) return 'partly correlated';
  return 'smooth';
}

function standardised(n: ShatterNet): number[] {
  const g = n.gradient.map((v) => (v === null ? NaN : v));
  const finite = g.filter(Number.isFinite);
  const mean = finite.reduce((a, b) => a + b, 0) / Math.max(1, finite.length);
  const sd = Math.sqrt(finite.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, finite.length));
  return g.map((v) => (sd > 0 ? (v - mean) / sd : 0));
}

export function renderPaths(r: PathsResult, options: RenderOptions = {}): string {
  const width = options.width ?? 80;
  const out: string[] = [];
  const source = r.source === 'run' ? `run ${r.runId} at step ${r.step}` : 'freshly initialised';
  out.push(
    `probe paths: ${r.model} (${source}) on ${r.dataset}`,
    `${r.blocks} blocks: 2^${r.blocks} = ${bigText(r.totalPathsExact)} paths; ${bigText(String(r.pathsThroughBlock1))} pass through block 1; ` +
      `mean path length ${r.meanPathLength} blocks`,
    '',
  );
  const gradShare = r.lengths.map((l) => l.contributionShare ?? NaN);
  out.push(
    renderChart({
      title: 'Share of paths and of the total gradient, by path length (branches on the path)',
      series: [r.lengths.map((l) => l.share), gradShare],
      labels: ['paths of this length (binomial)', 'share of total gradient magnitude'],
      height: 10,
      width,
      xRange: ['length 0', `length ${r.blocks}`],
      ...colorsOf(options),
    }).trimEnd(),
    '',
  );
  const rows = r.blocks <= 24 ? r.lengths : r.lengths.filter((l) => l.measured);
  out.push(
    ...table([
      ['length', 'paths', 'share', '|grad| one path', 'middle half', 'total share'],
      ...rows.map((l) => [
        String(l.length),
        bigText(l.countExact),
        pct(l.share),
        l.gradient === null ? '-' : `${num(l.gradient)}${l.measured ? '' : ' (interp.)'}`,
        l.distribution ? `${num(l.distribution.q1)}-${num(l.distribution.q3)}` : '-',
        l.contributionShare === null ? '-' : pct(l.contributionShare),
      ]),
    ]),
  );
  out.push('');
  out.push(
    ...wrap(
      `|grad| one path: mean L2 norm of one example's loss gradient at the input along a single path, as Veit et al. 2016 measured it: ` +
        `the whole net runs forward; the backward pass goes through the branches of k blocks and the skips of all others ` +
        `(${r.samples} sampled sets of k blocks per length, ${r.examples} examples each; middle half: its quartiles). ` +
        `Total share: |grad| one path x number of paths of that length, as a share of the sum over all lengths (a sum of magnitudes: paths can cancel).`,
      width,
    ),
  );
  if (r.gradientMeanLength !== null && r.effectiveRange) {
    out.push(
      ...wrap(
        `Paths of length ${r.effectiveRange[0]} to ${r.effectiveRange[1]} carry 90% of the total gradient magnitude (5% lies beyond each end); ` +
          `the gradient-weighted mean length is ${r.gradientMeanLength.toFixed(1)} blocks, against ${r.meanPathLength} for a path drawn at random` +
          `${r.peakLength !== null ? `; length ${r.peakLength} carries the most` : ''}` +
          `${r.shortShare !== null ? `; paths through at most a quarter of the blocks carry ${pct(r.shortShare)}` : ''}.`,
        width,
      ),
    );
  }
  return `${out.join('\n')}\n`;
}

export function renderLesion(r: LesionResult, options: RenderOptions = {}): string {
  const width = options.width ?? 80;
  const out: string[] = [];
  const classification = r.baseline.accuracy !== null;
  out.push(
    `probe lesion: run ${r.runId} (${r.model}, step ${r.step}) on ${r.examples} ${r.dataset} validation examples`,
    `whole network: ${classification ? `accuracy ${pct(r.baseline.accuracy!)}, ` : ''}loss ${num(r.baseline.loss)}`,
    '',
  );
  const metric = (row: LesionResult['rows'][number]) => (classification ? row.accuracy : row.loss);
  const base = classification ? r.baseline.accuracy! : r.baseline.loss;
  out.push(
    renderChart({
      title: `${classification ? 'Validation accuracy' : 'Validation loss'} with one block removed`,
      series: [r.rows.map((row) => metric(row) ?? base), r.rows.map(() => base)],
      labels: ['without block k', 'whole network'],
      height: 8,
      width,
      xRange: ['block 1', `block ${r.rows.length}`],
      ...colorsOf(options),
    }).trimEnd(),
    '',
  );
  out.push(
    ...table([
      ['removed', classification ? 'accuracy' : 'loss', 'change'],
      ...r.rows.map((row) =>
        row.removable
          ? classification
            ? [row.name, pct(row.accuracy!), signedPct(row.accuracyDrop!)]
            : [row.name, num(row.loss!), num(row.loss! - r.baseline.loss)]
          : [row.name, 'kept', 'changes shape: cannot be skipped'],
      ),
    ]),
  );
  out.push('');
  if (r.meanAccuracyDrop !== null && r.worstAccuracyDrop !== null) {
    const first = r.firstBlockDrop === null ? 'block 1 cannot be skipped' : `without block 1 alone: ${signedPct(r.firstBlockDrop)}`;
    const matter =
      r.blocksThatMatter !== null && r.noticeableDrop !== null
        ? `${r.blocksThatMatter} of ${r.removableBlocks} removable blocks cost more than ${(100 * r.noticeableDrop).toFixed(1)} pts ` +
          `(two standard errors of the accuracy on ${r.examples} examples); `
        : '';
    out.push(
      ...wrap(
        `Removing one block: mean change ${signedPct(r.meanAccuracyDrop)}, median ${signedPct(r.medianAccuracyDrop ?? r.meanAccuracyDrop)}; ` +
          `${matter}the largest is block ${r.worstBlock} (${signedPct(r.worstAccuracyDrop)}); ${first}. ` +
          (r.arch === 'plain' || r.arch === 'plain-bn'
            ? 'A plain net is a single path: every block is on it.'
            : 'A residual net is an ensemble of paths: removing one block removes only the paths through it (half of them).'),
        width,
      ),
    );
  }
  return `${out.join('\n')}\n`;
}

export function renderBnScale(r: BnScaleResult, options: RenderOptions = {}): string {
  const width = options.width ?? 80;
  const out: string[] = [];
  out.push(
    ...wrap(
      `probe bn-scale: run ${r.runId} (${r.model}, step ${r.step}, ${r.dataset}). Learned BatchNorm scales: mean |gamma| over each layer's channels; every gamma starts at 1.`,
      width,
    ),
    '',
  );
  out.push(
    renderChart({
      title: "Mean |gamma| of each block's last BatchNorm (1 at initialisation)",
      series: [r.blocks.map((b) => b.lastGamma ?? NaN), r.blocks.map(() => 1)],
      labels: ['learned', 'at initialisation'],
      height: 8,
      width,
      xRange: ['block 1', `block ${r.blocks.length}`],
      ...colorsOf(options),
    }).trimEnd(),
    '',
  );
  const names = [...new Set(r.blocks.flatMap((b) => b.layers.map((l) => l.layer)))];
  out.push(
    ...table([
      ['block', ...names.map((n) => `|gamma| ${n}`), 'last'],
      ...r.blocks.map((b) => [
        b.name,
        ...names.map((n) => {
          const l = b.layers.find((x) => x.layer === n);
          return l ? num(l.meanAbsGamma) : '';
        }),
        b.lastLayer,
      ]),
    ]),
    '',
  );
  const order =
    r.blockOrder === 'preact'
      ? "In preact order a block's last BatchNorm comes before its last weight layer, so its gamma scales the branch only through that layer."
      : "A block's last BatchNorm scales its branch just before the addition: a larger gamma makes that block's contribution to the sum louder.";
  out.push(
    ...wrap(
      `Last BatchNorm of each block: mean |gamma| ${num(r.meanLastGamma)}; change per block ${r.slopePerBlock === null ? '-' : num(r.slopePerBlock)} (least-squares line); ` +
        `last third of the blocks over the first third x${r.lateOverEarly === null ? '-' : r.lateOverEarly.toFixed(2)}. ${order}`,
      width,
    ),
  );
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------

function colorsOf(options: RenderOptions): { colors?: readonly ChartColor[] } {
  return options.color ? { colors: DEFAULT_COLORS } : {};
}

/** Four block indices spread over 1..K, always with the first and the last. */
function sampleBlocks(k: number): number[] {
  const picks = new Set<number>([1]);
  for (let i = 1; i <= 3; i++) picks.add(Math.max(1, Math.round((i * k) / 3)));
  return [...picks].sort((a, b) => a - b);
}

function fixed(v: number | null): string {
  return v === null ? '-' : v.toFixed(2);
}

function pct(v: number): string {
  return `${(100 * v).toFixed(v !== 0 && Math.abs(v) < 0.001 ? 3 : 1)}%`;
}

function signedPct(v: number): string {
  return `${v > 0 ? '-' : v < 0 ? '+' : ''}${(100 * Math.abs(v)).toFixed(1)} pts`;
}

/** An exact integer with thousands separators, or in exponent form when it is long. */
function bigText(exact: string): string {
  if (exact.length <= 15) return Number(exact).toLocaleString('en-US');
  return `${exact[0]}.${exact.slice(1, 3)}e${exact.length - 1}`;
}

/** Left-aligned first column, right-aligned others, two spaces between. */
const table = (rows: readonly (readonly string[])[]): string[] => alignedTable(rows, { numbers: true });

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = `  ${word}`;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}
