/**
 * The plain-number statistics the probes report (fits, correlations). No tfjs: the renderer and tests
 * use them too.
 */
import type { GrowthFit, LineFit } from '../../contracts/probe-results.js';

export function fitLine(xs: readonly number[], ys: readonly number[]): LineFit | null {
  return fitLineWithin(
    xs,
    ys,
    xs.map(() => 0),
  );
}

/**
 * One slope shared by several groups, each with its own intercept (the "within" estimator): for a
 * CNN whose stages each start afresh, the growth per block inside the stages. R² is the share of the
 * within-group variation the slope explains; `intercept` is the first group's.
 */
export function fitLineWithin(xs: readonly number[], ys: readonly number[], groups: readonly number[]): LineFit | null {
  const byGroup = new Map<number, number[]>();
  xs.forEach((_, i) => byGroup.set(groups[i]!, [...(byGroup.get(groups[i]!) ?? []), i]));
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  let first: { mx: number; my: number } | null = null;
  for (const idx of byGroup.values()) {
    const mx = idx.reduce((a, i) => a + xs[i]!, 0) / idx.length;
    const my = idx.reduce((a, i) => a + ys[i]!, 0) / idx.length;
    first ??= { mx, my };
    for (const i of idx) {
      const dx = xs[i]! - mx;
      const dy = ys[i]! - my;
      sxx += dx * dx;
      sxy += dx * dy;
      syy += dy * dy;
    }
  }
  if (sxx === 0 || !first) return null;
  const slope = sxy / sxx;
  return { slope, intercept: first.my - slope * first.mx, r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) };
}

/**
 * Fits `values[k-1]` (block k) for the finite, positive values; with `stageStarts` (the first block of
 * each stage) the fits measure the growth inside the stages. "exponential" when the ratio is at
 * least 1.2 and the log fit is the better one; "linear" when a straight line with a positive slope
 * explains the series (R² >= 0.9); "constant" when the geometric ratio is within 5% of 1 and the whole
 * series stays within a factor of 10 of its first value; "decaying" when the ratio is below 0.95.
 */
export function fitGrowth(values: readonly (number | null)[], stageStarts: readonly number[] = [1]): GrowthFit {
  const ks: number[] = [];
  const vs: number[] = [];
  const stage: number[] = [];
  values.forEach((v, i) => {
    if (v !== null && Number.isFinite(v) && v > 0) {
      ks.push(i + 1);
      vs.push(v);
      stage.push(stageStarts.filter((s) => s <= i + 1).length);
    }
  });
  const geo = fitLineWithin(ks, vs.map(Math.log), stage);
  const lin = fitLineWithin(ks, vs, stage);
  const ratio = geo ? Math.exp(geo.slope) : null;
  let law: GrowthFit['law'] = 'other';
  const first = vs[0];
  const withinTen = first !== undefined && vs.every((v) => v <= first * 10 && v >= first / 10);
  if (ratio !== null && ratio >= 1.2 && (geo?.r2 ?? 0) >= (lin?.r2 ?? 0)) law = 'exponential';
  else if (lin && lin.slope > 0 && (lin.r2 ?? 0) >= 0.9) law = 'linear';
  else if (ratio !== null && withinTen && Math.abs(ratio - 1) < 0.05) law = 'constant';
  else if (ratio !== null && ratio < 0.95) law = 'decaying';
  return { ratio, geometricR2: geo?.r2 ?? null, slope: lin?.slope ?? null, linearR2: lin?.r2 ?? null, law };
}

/** Pearson correlation of neighbouring values (g_i, g_{i+1}); null when either side is constant. */
export function neighbourCorrelation(g: readonly number[]): number | null {
  const n = g.length - 1;
  if (n < 2) return null;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += g[i]!;
    mb += g[i + 1]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const a = g[i]! - ma;
    const b = g[i + 1]! - mb;
    sab += a * b;
    saa += a * a;
    sbb += b * b;
  }
  if (saa === 0 || sbb === 0) return null;
  return sab / Math.sqrt(saa * sbb);
}

/**
 * Autocorrelation at lags 0..maxLag: Σ (g_i − ḡ)(g_{i+lag} − ḡ) / Σ (g_i − ḡ)², so lag 0 is 1 and
 * white noise falls to about 0 at lag 1. A constant series gives all ones (it is perfectly predictable).
 */
export function autocorrelation(g: readonly number[], maxLag: number): number[] {
  const n = g.length;
  const mean = g.reduce((s, v) => s + v, 0) / Math.max(1, n);
  const d = g.map((v) => v - mean);
  const denom = d.reduce((s, v) => s + v * v, 0);
  const out: number[] = [];
  for (let lag = 0; lag <= Math.min(maxLag, n - 1); lag++) {
    if (denom === 0) {
      out.push(1);
      continue;
    }
    let s = 0;
    for (let i = 0; i + lag < n; i++) s += d[i]! * d[i + lag]!;
    out.push(s / denom);
  }
  return out;
}

/** The first lag at which the autocorrelation drops below 1/e, as a distance; null if it never does. */
export function correlationLength(acf: readonly number[], spacing: number): number | null {
  const threshold = Math.exp(-1);
  for (let lag = 1; lag < acf.length; lag++) {
    if (acf[lag]! < threshold) {
      // Interpolate between the lags on either side of the threshold.
      const a = acf[lag - 1]!;
      const b = acf[lag]!;
      const t = a === b ? 0 : (a - threshold) / (a - b);
      return (lag - 1 + t) * spacing;
    }
  }
  return null;
}

/** A non-finite number becomes null, so results stay valid JSON. */
export function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}
