import { existsSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/contracts/train-config.js';
import { UserError } from '../../src/util/errors.js';
import { listCheckpoints, loadNewestCheckpoint, saveCheckpoint } from '../../src/runs/checkpoint.js';
import { tempDir } from '../helpers/cli.js';
import { trainerState } from '../helpers/trainer-state.js';

const config = resolveConfig({ net: 'mlp', arch: 'residual', depth: 2, width: 4, keep: 3 });

const state = trainerState;

afterEach(() => {
  delete process.env.RESNET_TUTOR_FAULTS;
});

describe('checkpoints', () => {
  it('round-trip every tensor and counter, keep the newest K, and leave no temporary folders', () => {
    const dir = tempDir();
    for (const step of [10, 20, 30, 40, 50]) saveCheckpoint(dir, state(step), config, step / 10, 3);
    expect(listCheckpoints(dir)).toEqual([50, 40, 30]);
    expect(readdirSync(dir).filter((n) => n.startsWith('.tmp'))).toEqual([]);
    const loaded = loadNewestCheckpoint(dir, config)!;
    expect(loaded.manifest.step).toBe(50);
    expect(loaded.manifest.format).toBe(1);
    expect(loaded.manifest.dataOrder).toEqual({ seed: 1, step: 50 });
    expect(loaded.state.interval).toEqual({ lossSum: 25, accuracySum: 0.25, count: 1 });
    expect(Array.from(loaded.state.tensors['param/stem/w']!.values)).toEqual(Array.from(state(50).tensors['param/stem/w']!.values));
    expect(Array.from(loaded.state.tensors['slot/stem/w/velocity']!.values)).toEqual(new Array(8).fill(50));
    expect(loaded.skipped).toEqual([]);
  });

  it('a truncated, a corrupt and an unreadable checkpoint are reported and the previous good one is used', () => {
    const dir = tempDir();
    for (const step of [10, 20, 30, 40]) saveCheckpoint(dir, state(step), config, 1, 10);
    truncateSync(join(dir, 'ckpt-40', 'weights.bin'), 12);
    const w30 = join(dir, 'ckpt-30', 'weights.bin');
    const bytes = readFileSync(w30);
    bytes[5]! ^= 0xff;
    writeFileSync(w30, bytes);
    writeFileSync(join(dir, 'ckpt-20', 'manifest.json'), '{"format": 1, "st');
    rmSync(join(dir, 'ckpt-20', 'manifest.sha256'));
    const loaded = loadNewestCheckpoint(dir, config)!;
    expect(loaded.manifest.step).toBe(10);
    expect(loaded.skipped).toHaveLength(3);
    expect(loaded.skipped[0]).toMatch(/ckpt-40: weights.bin is 12 bytes, expected 64 \(truncated\)/);
    expect(loaded.skipped[1]).toMatch(/ckpt-30: weights.bin checksum mismatch \(corrupt\)/);
    expect(loaded.skipped[2]).toMatch(/ckpt-20: manifest unreadable/);
  });

  it('refuses a checkpoint of another architecture, saying what differs', () => {
    const dir = tempDir();
    saveCheckpoint(dir, state(10), config, 1, 3);
    const other = resolveConfig({ net: 'mlp', arch: 'residual-bn', depth: 6, width: 4 });
    expect(() => loadNewestCheckpoint(dir, other)).toThrow(UserError);
    expect(() => loadNewestCheckpoint(dir, other)).toThrow(
      /different network \(arch residual-bn vs residual; depth 6 vs 2; run vs checkpoint\)/,
    );
  });

  it('refuses an unknown format version', () => {
    const dir = tempDir();
    saveCheckpoint(dir, state(10), config, 1, 3);
    const file = join(dir, 'ckpt-10', 'manifest.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"format": 1', '"format": 99'));
    // As a later version would write it: with its own (here: no) manifest checksum.
    rmSync(join(dir, 'ckpt-10', 'manifest.sha256'));
    expect(() => loadNewestCheckpoint(dir, config)).toThrow(/format version 99, but this resnet-tutor reads version 1/);
  });

  it('with every checkpoint damaged, says the run cannot be resumed', () => {
    const dir = tempDir();
    saveCheckpoint(dir, state(10), config, 1, 3);
    truncateSync(join(dir, 'ckpt-10', 'weights.bin'), 0);
    expect(() => loadNewestCheckpoint(dir, config)).toThrow(/No usable checkpoint in .*: .*truncated/);
  });

  it('a full disk while saving leaves the previous checkpoint intact and no partial folder', () => {
    const dir = tempDir();
    saveCheckpoint(dir, state(10), config, 1, 3);
    process.env.RESNET_TUTOR_FAULTS = 'enospc:tmp-ckpt-20-';
    expect(() => saveCheckpoint(dir, state(20), config, 1, 3)).toThrow(/ENOSPC/);
    expect(listCheckpoints(dir)).toEqual([10]);
    expect(readdirSync(dir).filter((n) => n.startsWith('.tmp'))).toEqual([]);
    expect(loadNewestCheckpoint(dir, config)!.manifest.step).toBe(10);
    expect(existsSync(join(dir, 'ckpt-20'))).toBe(false);
  });
});
