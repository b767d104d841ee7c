import { describe, expect, it } from 'vitest';
import type { MetricsLine } from '../../src/contracts/run-folder.js';
import { probeMeasures, trainMeasure } from '../../src/lessons/experiment-runner.js';
import { MEASURES, MEASURE_UNITS, growthUnit } from '../../src/lessons/types.js';
import type { ProbeResult } from '../../src/contracts/probe-protocol.js';

const line = (step: number, o: Partial<MetricsLine>): MetricsLine => ({
  step,
  epoch: 0,
  loss: 1,
  lr: 0.1,
  gradNorms: [],
  activationVariances: [],
  samplesPerSecond: 100,
  time: '',
  ...o,
});

describe('measures and their units', () => {
  it('every measure has a unit entry', () => {
    for (const list of Object.values(MEASURES)) for (const m of list) expect(MEASURE_UNITS[m]).toBeTypeOf('string');
  });

  it('training: accuracies in %, the train-val gap in percentage points, seconds per step as a median', () => {
    const lines = [
      line(10, { samplesPerSecond: 8, accuracy: 0.5 }), // warm-up: slow
      line(20, { samplesPerSecond: 64 }),
      line(30, { samplesPerSecond: 32, accuracy: 0.9, valLoss: 0.7, valAccuracy: 0.8 }),
    ];
    expect(trainMeasure('final train accuracy', lines)).toBeCloseTo(90, 10);
    expect(trainMeasure('val accuracy', lines)).toBeCloseTo(80, 10);
    expect(trainMeasure('train-val gap', lines)).toBeCloseTo(10, 10);
    expect(trainMeasure('seconds per step', lines, 32)).toBe(1);
    expect(trainMeasure('val loss', [line(1, {})])).toBeNaN();
  });

  it('variance growth: a factor or an added amount per block, fixed per series by the first seed', () => {
    const result = (law: string) =>
      ({
        probe: 'variance',
        series: [
          { arch: 'residual', label: 'residual', meanSquare: [1, 2], fit: { law, ratio: 2, slope: 1 } },
          { arch: 'residual-bn', label: 'residual-bn', meanSquare: [1, 2], fit: { law: 'linear', ratio: 1.1, slope: 0.9 } },
        ],
      }) as unknown as ProbeResult;
    const laws = new Map<string, string>();
    expect(probeMeasures(result('exponential'), 'growth per block', laws)).toEqual([
      { label: 'residual', value: 2, unit: 'x per block' },
      { label: 'residual-bn', value: 0.9, unit: 'per block (added)' },
    ]);
    // A later seed whose fit came out linear still reports the factor, so the seeds can be averaged.
    expect(probeMeasures(result('linear'), 'growth per block', laws)[0]).toEqual({ label: 'residual', value: 2, unit: 'x per block' });
    expect(growthUnit('linear')).toBe('per block (added)');
  });

  it('lesion drops are percentage points; shatter series are labelled by net key', () => {
    const lesion = { probe: 'lesion', meanAccuracyDrop: 0.012, worstAccuracyDrop: 0.3 } as unknown as ProbeResult;
    expect(probeMeasures(lesion, 'mean accuracy drop')).toEqual([{ label: '', value: 1.2, unit: 'percentage points' }]);
    const shatter = { probe: 'shatter', nets: [{ key: 'plain-bn', label: 'plain + BN (12 blocks)', neighbourCorrelation: 0.3, correlationLength: 0.1 }] } as unknown as ProbeResult;
    expect(probeMeasures(shatter, 'correlation length')).toEqual([{ label: 'plain-bn', value: 0.1, unit: 'input units' }]);
  });
});
