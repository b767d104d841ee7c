import { firstVisibleGpu, queryNvidiaSmi, runCommand, type CommandRunner } from '../platform/nvidia-smi.js';
import type { SystemReading } from './dashboard/state.js';

export interface SamplerOptions {
  /** Runs nvidia-smi (injectable for tests). */
  readonly run?: CommandRunner;
  /** Which GPU the engine computes on: CUDA's device 0 under this CUDA_VISIBLE_DEVICES. */
  readonly cudaVisibleDevices?: string;
}

/**
 * Samples this process's CPU and memory every second, and the GPU (nvidia-smi) every few seconds
 * when there is one: the GPU CUDA calls device 0 (the one the engine uses), as CUDA_VISIBLE_DEVICES
 * says. Returns the function that stops sampling.
 */
export function startSystemSampler(onReading: (r: SystemReading) => void, intervalMs = 1000, options: SamplerOptions = {}): () => void {
  const run = options.run ?? runCommand;
  const cudaVisibleDevices = 'cudaVisibleDevices' in options ? options.cudaVisibleDevices : process.env.CUDA_VISIBLE_DEVICES;
  let lastCpu = process.cpuUsage();
  let lastTime = performance.now();
  let gpu: SystemReading['gpu'];
  let gpuAvailable = true;
  let gpuQueryRunning = false;
  let ticks = 0;
  const sampleGpu = async (): Promise<void> => {
    gpuQueryRunning = true;
    const smi = await queryNvidiaSmi(run);
    gpuQueryRunning = false;
    const g = smi ? firstVisibleGpu(smi.gpus, cudaVisibleDevices) : undefined;
    if (!g) {
      // No nvidia-smi, or no GPU visible to this process: stop asking.
      gpuAvailable = false;
      gpu = undefined;
      return;
    }
    gpu = {
      name: g.name,
      utilPercent: g.utilizationPercent ?? Number.NaN,
      memUsedMb: g.memoryUsedMiB ?? Number.NaN,
      memTotalMb: g.memoryTotalMiB ?? Number.NaN,
    };
  };
  const sample = () => {
    const cpu = process.cpuUsage(lastCpu);
    const now = performance.now();
    const cpuPercent = ((cpu.user + cpu.system) / 1000 / (now - lastTime)) * 100;
    lastCpu = process.cpuUsage();
    lastTime = now;
    if (gpuAvailable && !gpuQueryRunning && ticks % 3 === 0) {
      sampleGpu().catch(() => {
        gpuAvailable = false;
      });
    }
    ticks++;
    onReading({ cpuPercent, rssMb: process.memoryUsage().rss / 1e6, ...(gpu ? { gpu } : {}) });
  };
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
