import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { failWriteFor } from '../../src/util/faults.js';
import { readRunInfo } from '../../src/runs/run-dir.js';
import { ensureBuilt, runCli, tempDir } from '../helpers/cli.js';

/**
 * The read-only variant of the "training is paused" message on a failed checkpoint write (the disk
 * full one is in test/commands/train.test.ts). A read-only mount cannot be made on demand (and root
 * ignores permissions), so the write fails through RESNET_TUTOR_FAULTS=erofs:<regexp>.
 */
const TINY = ['--steps', '30', '--train-limit', '512', '--val-limit', '64', '--depth', '2', '--width', '16', '--batch-size', '16'];

beforeAll(() => ensureBuilt());

describe('write fault injection', () => {
  const saved = process.env.RESNET_TUTOR_FAULTS;
  afterEach(() => {
    if (saved === undefined) delete process.env.RESNET_TUTOR_FAULTS;
    else process.env.RESNET_TUTOR_FAULTS = saved;
  });

  it('fakes ENOSPC and EROFS for the paths that match, and nothing for others', () => {
    process.env.RESNET_TUTOR_FAULTS = 'enospc:full-,erofs:frozen-';
    expect(failWriteFor('/r/full-1')).toMatchObject({ code: 'ENOSPC', errno: -28, syscall: 'write', path: '/r/full-1' });
    const ro = failWriteFor('/r/frozen-1');
    expect(ro).toMatchObject({ code: 'EROFS', errno: -30, syscall: 'write', path: '/r/frozen-1' });
    expect(ro?.message).toBe("EROFS: read-only file system, write '/r/frozen-1'");
    expect(failWriteFor('/r/other')).toBeNull();
    process.env.RESNET_TUTOR_FAULTS = 'crash@3,no-wasm-threads';
    expect(failWriteFor('/r/full-1')).toBeNull();
  });
});

describe('a checkpoint on a read-only file system', () => {
  it('pauses the run with a message that names the read-only file system; the previous checkpoint is kept', () => {
    const root = tempDir('rt-erofs-');
    const args = ['train', ...TINY, '--backend', 'wasm', '--log-every', '5', '--checkpoint-every', '10', '--run-dir', root];
    const r = runCli(args, { env: { RESNET_TUTOR_FAULTS: 'erofs:tmp-ckpt-20-' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /Could not write a checkpoint at step 20 in .*: the file system is read-only \(EROFS\)\. Training is paused; the previous checkpoint \(step 10\) is intact/,
    );
    expect(r.stderr).not.toMatch(/disk is full/);
    expect(r.stdout + r.stderr).not.toMatch(/checkpoint written\./);
    const ids = readdirSync(root).filter((n) => existsSync(join(root, n, 'run.json')));
    expect(ids).toHaveLength(1);
    const run = join(root, ids[0]!);
    expect(readRunInfo(run).status).toBe('interrupted');
    expect(readdirSync(run).filter((n) => n.startsWith('ckpt-'))).toEqual(['ckpt-10']);
  });
});
