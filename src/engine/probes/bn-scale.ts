import { describeModel } from '../../contracts/train-config.js';
import type { TrainedNet } from './lesion.js';
import { finiteOrNull, fitLine } from './stats.js';
import type { BnBlockScale, BnScaleResult } from '../../contracts/probe-results.js';

export function runBnScale(net: TrainedNet): BnScaleResult {
  const { config } = net;
  const byBlock = new Map<number, Map<string, { gamma?: Float32Array; beta?: Float32Array }>>();
  for (const [name, t] of Object.entries(net.tensors)) {
    const m = /^param\/block(\d+)\/(.+)\/(gamma|beta)$/.exec(name);
    if (!m) continue;
    const k = Number(m[1]);
    const layers = byBlock.get(k) ?? new Map<string, { gamma?: Float32Array; beta?: Float32Array }>();
    const entry = layers.get(m[2]!) ?? {};
    entry[m[3] as 'gamma' | 'beta'] = t.values;
    layers.set(m[2]!, entry);
    byBlock.set(k, layers);
  }
  if (byBlock.size === 0) {
    throw new Error(`checkpoint of run ${net.runId} has no BatchNorm scales (param/block<k>/bn<j>/gamma)`);
  }
  const blocks: BnBlockScale[] = [...byBlock.keys()]
    .sort((a, b) => a - b)
    .map((k) => {
      const layers = [...byBlock.get(k)!.entries()]
        .sort(([a], [b]) => layerOrder(a) - layerOrder(b))
        .map(([layer, v]) => ({
          layer,
          channels: v.gamma?.length ?? 0,
          meanAbsGamma: v.gamma ? finiteOrNull(meanOf(v.gamma, Math.abs)) : null,
          meanBeta: v.beta ? finiteOrNull(meanOf(v.beta, (x) => x)) : null,
        }));
      const branch = layers.filter((l) => /^bn\d+$/.test(l.layer));
      const last = branch[branch.length - 1];
      return { block: k, name: `block${k}`, lastLayer: last?.layer ?? '-', lastGamma: last?.meanAbsGamma ?? null, layers };
    });
  const pts = blocks.filter((b) => b.lastGamma !== null);
  const fit = fitLine(
    pts.map((b) => b.block),
    pts.map((b) => b.lastGamma!),
  );
  const third = Math.max(1, Math.floor(pts.length / 3));
  const avg = (bs: readonly BnBlockScale[]) => bs.reduce((s, b) => s + b.lastGamma!, 0) / bs.length;
  const early = pts.length ? avg(pts.slice(0, third)) : null;
  const late = pts.length ? avg(pts.slice(-third)) : null;
  return {
    probe: 'bn-scale',
    runId: net.runId,
    step: net.step,
    model: describeModel(config),
    arch: config.arch,
    blockOrder: config.blockOrder,
    dataset: config.dataset,
    blocks,
    slopePerBlock: fit ? finiteOrNull(fit.slope) : null,
    lateOverEarly: early !== null && late !== null && early > 0 ? finiteOrNull(late / early) : null,
    meanLastGamma: pts.length ? avg(pts) : null,
  };
}

/** bn1, bn2, bn3 in order, the projection's BatchNorm last. */
function layerOrder(layer: string): number {
  const m = /^bn(\d+)$/.exec(layer);
  return m ? Number(m[1]) : 100;
}

function meanOf(v: Float32Array, f: (x: number) => number): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += f(v[i]!);
  return s / v.length;
}
