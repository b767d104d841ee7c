import { totalmem } from 'node:os';
import { UserError } from '../../util/errors.js';
import { describeModel, type TrainConfig } from '../../contracts/train-config.js';
import { DATASET_INFO, isDatasetName } from '../../data/index.js';
import { estimateTrainingMemory, formatBytes } from '../../contracts/memory-estimate.js';
import { firstVisibleGpu, queryNvidiaSmi, type GpuInfo } from '../../platform/nvidia-smi.js';

/**
 * Refuses, before any run folder exists, a model whose weights, gradients, optimiser state and one
 * batch of activations cannot fit (a lower bound, contracts/memory-estimate.ts) where it will train:
 * wasm addresses at most 4 GiB; the GPU backends hold every tensor in the GPU's memory, which
 * nvidia-smi reports (the GPU CUDA calls device 0, honouring CUDA_VISIBLE_DEVICES); the CPU backends
 * have this machine's memory.
 */
const WASM_LIMIT = 4 * 2 ** 30;
const MIB = 2 ** 20;

export interface MemoryVerdict {
  /** Set when the model cannot fit: the one-paragraph refusal. */
  readonly refusal?: string;
  /** Set when it may not fit: said before training starts, and the run goes on. */
  readonly note?: string;
}

export interface MemoryFacts {
  readonly machineBytes: number;
  /** The GPU a GPU backend would use, when nvidia-smi lists one. */
  readonly gpu?: GpuInfo;
}

/** Where the model's bytes go, and what to say if they do not fit. Pure: the facts are passed in. */
export function judgeMemory(config: TrainConfig, backend: string | undefined, facts: MemoryFacts, label = ''): MemoryVerdict {
  if (!isDatasetName(config.dataset)) return {};
  const { parameters, bytes } = estimateTrainingMemory(config, DATASET_INFO[config.dataset]);
  const needs = `${label ? `${label}: ` : ''}${describeModel(config)} with batch ${config.batchSize} needs at least ${formatBytes(bytes)} (${parameters.toLocaleString('en-US')} weights, held with their gradients and ${config.optimizer}'s state, plus one batch of activations)`;
  const smaller = 'Use a smaller --depth, --width or --batch-size.';
  const refuse = (where: string): MemoryVerdict => ({ refusal: `${needs}, more than ${where}. ${smaller} No run was created.` });
  const gpu = facts.gpu;
  const gpuTotal = gpu?.memoryTotalMiB !== undefined ? gpu.memoryTotalMiB * MIB : undefined;
  const gpuName = gpu ? `the GPU's (${gpu.name}) ${formatBytes(gpuTotal ?? 0)}` : '';

  if (backend === 'wasm' && bytes > WASM_LIMIT && WASM_LIMIT <= facts.machineBytes) return refuse('the 4 GiB that wasm can address');
  if (bytes > facts.machineBytes) return refuse(`this machine's ${formatBytes(facts.machineBytes)} of memory`);
  const onGpu = backend === 'node-gpu' || backend === 'webgpu';
  if (gpu === undefined || gpuTotal === undefined || !(onGpu || backend === 'auto' || backend === undefined)) return {};
  if (bytes > gpuTotal) {
    if (onGpu) return refuse(`${gpuName} of memory (nvidia-smi)`);
    return {
      note: `${needs}, more than ${gpuName} of memory (nvidia-smi): if --backend auto picks the GPU, the run will fail when it runs out. ${smaller} Or use --backend node, wasm or cpu to train in this machine's memory.`,
    };
  }
  const free = gpu.memoryUsedMiB !== undefined ? gpuTotal - gpu.memoryUsedMiB * MIB : undefined;
  if (onGpu && free !== undefined && bytes > free) {
    return {
      note: `${needs}, and other processes hold ${formatBytes(gpuTotal - free)} of ${gpuName} now (nvidia-smi), leaving ${formatBytes(free)}: the run may fail when it runs out. \`nvidia-smi\` shows who holds it.`,
    };
  }
  return {};
}

/** What `judgeMemory` needs to know about this machine: nvidia-smi is asked only for a backend that may use a GPU. */
export async function memoryFacts(backend: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<MemoryFacts> {
  const machineBytes = totalmem();
  if (backend === 'wasm' || backend === 'cpu' || backend === 'node') return { machineBytes };
  const smi = await queryNvidiaSmi();
  const gpu = smi ? firstVisibleGpu(smi.gpus, env.CUDA_VISIBLE_DEVICES) : undefined;
  return gpu ? { machineBytes, gpu } : { machineBytes };
}

/** Throws the refusal, or prints the note to stderr (stdout may be JSON lines) and returns. */
export function applyMemoryVerdict(verdict: MemoryVerdict): void {
  if (verdict.refusal !== undefined) throw new UserError(verdict.refusal);
  if (verdict.note !== undefined) process.stderr.write(`resnet-tutor: note: ${verdict.note}\n`);
}
