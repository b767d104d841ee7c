import { chmodSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/contracts/train-config.js';
import { estimateTrainingMemory } from '../../../src/contracts/memory-estimate.js';
import { judgeMemory, memoryFacts } from '../../../src/commands/impl/memory-check.js';
import type { GpuInfo } from '../../../src/platform/nvidia-smi.js';
import { runCli, tempDir } from '../../helpers/cli.js';

/**
 * The memory check before a run folder exists knows the GPU's memory (nvidia-smi) for the GPU
 * backends, as it knows wasm's 4 GiB and the machine's memory for the others.
 */
const GIB = 2 ** 30;
// About 1.6 GiB with momentum: more than a 1 GiB GPU, less than any machine that runs these tests.
const big = resolveConfig({ net: 'mlp', depth: 4, width: 4096, dataset: 'fashion-mnist' });
const bigBytes = estimateTrainingMemory(big, { inputShape: [28, 28, 1] }).bytes;
const gpu = (totalMiB: number, usedMiB = 0): GpuInfo => ({ name: 'NVIDIA Test GPU', memoryTotalMiB: totalMiB, memoryUsedMiB: usedMiB });
const machine = { machineBytes: 64 * GIB };

describe('judgeMemory', () => {
  it('the example model sits between 1 GiB and 4 GiB', () => {
    expect(bigBytes).toBeGreaterThan(GIB);
    expect(bigBytes).toBeLessThan(4 * GIB);
  });

  for (const backend of ['node-gpu', 'webgpu']) {
    it(`--backend ${backend} refuses what exceeds the GPU's memory, naming the GPU and nvidia-smi`, () => {
      const v = judgeMemory(big, backend, { ...machine, gpu: gpu(1024) });
      expect(v.refusal).toMatch(
        /needs at least 1\.\d GiB .*more than the GPU's \(NVIDIA Test GPU\) 1\.0 GiB of memory \(nvidia-smi\)\. Use a smaller --depth, --width or --batch-size\. No run was created\.$/,
      );
      expect(judgeMemory(big, backend, { ...machine, gpu: gpu(8192) })).toEqual({});
    });
  }

  it('--backend auto trains anyway (it may fall back to the CPU) but says the GPU cannot hold it', () => {
    const v = judgeMemory(big, 'auto', { ...machine, gpu: gpu(1024) });
    expect(v.refusal).toBeUndefined();
    expect(v.note).toContain('if --backend auto picks the GPU, the run will fail when it runs out');
  });

  it('a GPU that other processes fill warns with what they hold and what is left', () => {
    const v = judgeMemory(big, 'node-gpu', { ...machine, gpu: gpu(8192, 7168) });
    expect(v.refusal).toBeUndefined();
    expect(v.note).toContain("other processes hold 7.0 GiB of the GPU's (NVIDIA Test GPU) 8.0 GiB now (nvidia-smi), leaving 1.0 GiB");
    expect(judgeMemory(big, 'node-gpu', { ...machine, gpu: gpu(8192, 1024) })).toEqual({});
  });

  it('the CPU backends ignore the GPU; wasm keeps its 4 GiB; every backend keeps the machine limit', () => {
    for (const backend of ['node', 'cpu', 'wasm']) expect(judgeMemory(big, backend, { ...machine, gpu: gpu(1024) })).toEqual({});
    // depth 12: about 4.5 GiB, past what wasm can address on any machine.
    const bigger = resolveConfig({ net: 'mlp', depth: 12, width: 4096, dataset: 'fashion-mnist' });
    expect(judgeMemory(bigger, 'wasm', machine).refusal).toContain('more than the 4 GiB that wasm can address');
    expect(judgeMemory(big, 'wasm', { machineBytes: GIB }).refusal).toContain("more than this machine's 1.0 GiB of memory");
    expect(judgeMemory(big, 'cpu', { machineBytes: GIB }).refusal).toContain("more than this machine's 1.0 GiB of memory");
    expect(judgeMemory(big, 'webgpu', { machineBytes: GIB, gpu: gpu(81920) }).refusal).toContain("this machine's 1.0 GiB");
  });

  it('with no GPU listed, a GPU backend is held to the machine only', () => {
    expect(judgeMemory(big, 'webgpu', machine)).toEqual({});
  });
});

/** A fake `nvidia-smi` first on PATH, printing one GPU in the CSV format of --query-gpu. */
function fakeNvidiaSmi(totalMiB: number, usedMiB: number): string {
  const dir = tempDir('rt-fake-smi-');
  const uuid = 'GPU-8932f937-d72c-4106-c12f-20bd9faed9f6';
  writeFileSync(
    join(dir, 'nvidia-smi'),
    `#!/bin/sh\necho "NVIDIA Test GPU, ${totalMiB} MiB, 0 %, ${usedMiB} MiB, 9.0, 550.54.15, ${uuid}"\n`,
  );
  chmodSync(join(dir, 'nvidia-smi'), 0o755);
  return dir;
}

describe('memoryFacts reads the GPU CUDA would use', () => {
  it('from nvidia-smi, honouring CUDA_VISIBLE_DEVICES, and only for a backend that may use it', async () => {
    const dir = fakeNvidiaSmi(1024, 100);
    const path = `${dir}${delimiter}${process.env.PATH ?? ''}`;
    const saved = process.env.PATH;
    process.env.PATH = path;
    try {
      expect((await memoryFacts('webgpu', { PATH: path })).gpu).toMatchObject({
        name: 'NVIDIA Test GPU',
        memoryTotalMiB: 1024,
        memoryUsedMiB: 100,
      });
      expect((await memoryFacts('auto', { PATH: path, CUDA_VISIBLE_DEVICES: '' })).gpu).toBeUndefined();
      expect((await memoryFacts('cpu', { PATH: path })).gpu).toBeUndefined();
    } finally {
      process.env.PATH = saved;
    }
  });
});

describe('train refuses before any run folder exists', () => {
  it('--backend webgpu on a 1 GiB GPU: one paragraph naming the GPU, exit 1, nothing written', () => {
    const runs = join(tempDir(), 'runs');
    const dir = fakeNvidiaSmi(1024, 0);
    const r = runCli(['train', '--backend', 'webgpu', '--net', 'mlp', '--depth', '4', '--width', '4096', '--run-dir', runs], {
      env: { PATH: `${dir}${delimiter}${process.env.PATH ?? ''}` },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^resnet-tutor: mlp residual-bn d4 w4096 with batch 64 needs at least .* more than the GPU's \(NVIDIA Test GPU\) 1\.0 GiB of memory \(nvidia-smi\)\. .*No run was created\.\n$/,
    );
    expect(existsSync(runs) ? readdirSync(runs) : []).toEqual([]);
  });
});
