import { readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/contracts/train-config.js';
import { loadNewestCheckpoint, saveCheckpoint } from '../../src/runs/checkpoint.js';
import { tempDir } from '../helpers/cli.js';
import { trainerState } from '../helpers/trainer-state.js';

const config = resolveConfig({ net: 'mlp', arch: 'residual', depth: 2, width: 4, keep: 5 });

const state = trainerState;

/** Two checkpoints (10, 20); `damage` spoils the newest; the load must fall back to step 10. */
function fallsBack(damage: (ckpt: string) => void, reason: RegExp): void {
  const dir = tempDir();
  for (const step of [10, 20]) saveCheckpoint(dir, state(step), config, 1, 5);
  damage(join(dir, 'ckpt-20'));
  const loaded = loadNewestCheckpoint(dir, config)!;
  expect(loaded.manifest.step).toBe(10);
  expect(loaded.skipped).toHaveLength(1);
  expect(loaded.skipped[0]).toMatch(reason);
}

const editManifest = (ckpt: string, edit: (m: Record<string, unknown>) => unknown, keepSum = false) => {
  const file = join(ckpt, 'manifest.json');
  writeFileSync(file, JSON.stringify(edit(JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)));
  // Without its checksum file (as in checkpoints written before it existed), the checks below must
  // still catch what is wrong.
  if (!keepSum) rmSync(join(ckpt, 'manifest.sha256'));
};

describe('checkpoint integrity', () => {
  it('a 1.9 GB weights.bin is refused from its size, without being read', () => {
    const before = process.memoryUsage().rss;
    fallsBack((c) => truncateSync(join(c, 'weights.bin'), 1_900_000_000), /weights\.bin is 1900000000 bytes, expected 64/);
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
  });

  it('one flipped bit in the manifest ("step" 20 -> 21... or any byte) fails its checksum', () => {
    fallsBack((c) => {
      const file = join(c, 'manifest.json');
      writeFileSync(file, readFileSync(file, 'utf8').replace('"optimizerSteps": 20', '"optimizerSteps": 21'));
    }, /manifest\.json checksum mismatch/);
  });

  it('swapped tensor offsets fail the manifest checksum', () => {
    fallsBack((c) => {
      const file = join(c, 'manifest.json');
      const m = JSON.parse(readFileSync(file, 'utf8')) as { tensors: { offset: number }[] };
      [m.tensors[0]!.offset, m.tensors[1]!.offset] = [m.tensors[1]!.offset, m.tensors[0]!.offset];
      writeFileSync(file, `${JSON.stringify(m, null, 1)}\n`);
    }, /manifest\.json checksum mismatch/);
  });

  const malformed: [string, (m: Record<string, unknown>) => unknown, RegExp][] = [
    ['null', () => null, /manifest malformed \(not an object\)/],
    ['an array', () => [], /not an object/],
    ['a step that disagrees with the folder name', (m) => ({ ...m, step: 21 }), /step 21 does not match the folder name/],
    ['a data-order step that disagrees', (m) => ({ ...m, dataOrder: { seed: 1, step: 5 } }), /data-order step 5/],
    ['no weights', (m) => ({ ...m, weights: undefined }), /no weights size and checksum/],
    ['no architecture', (m) => ({ ...m, architecture: undefined }), /no architecture/],
    [
      'an out-of-range offset',
      (m) => ({ ...m, tensors: (m.tensors as object[]).map((t, i) => (i === 1 ? { ...t, offset: 1e9 } : t)) }),
      /outside weights\.bin/,
    ],
    ['overlapping tensors', (m) => ({ ...m, tensors: (m.tensors as object[]).map((t) => ({ ...t, offset: 0 })) }), /overlap/],
  ];
  for (const [what, edit, reason] of malformed) {
    it(`a valid-JSON manifest with ${what} falls back to the previous checkpoint`, () => {
      fallsBack((c) => editManifest(c, edit), reason);
    });
  }

  it('a deleted manifest checksum alone is accepted (older checkpoints have none)', () => {
    const dir = tempDir();
    saveCheckpoint(dir, state(10), config, 1, 5);
    rmSync(join(dir, 'ckpt-10', 'manifest.sha256'));
    expect(loadNewestCheckpoint(dir, config)!.manifest.step).toBe(10);
  });
});
