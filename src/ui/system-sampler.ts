import { execFile } from 'node:child_process';
import type { SystemReading } from './dashboard/state.js';

/**
 * Samples this process's CPU and memory every second, and the GPU (nvidia-smi) every few seconds
 * when there is one. Returns the function that stops sampling.
 */
export function startSystemSampler(onReading: (r: SystemReading) => void, intervalMs = 1000): () => void {
  let lastCpu = process.cpuUsage();
  let lastTime = performance.now();
  let gpu: SystemReading['gpu'];
  let gpuAvailable = true;
  let ticks = 0;
  const sample = () => {
    const cpu = process.cpuUsage(lastCpu);
    const now = performance.now();
    const cpuPercent = ((cpu.user + cpu.system) / 1000 / (now - lastTime)) * 100;
    lastCpu = process.cpuUsage();
    lastTime = now;
    if (gpuAvailable && ticks % 3 === 0) {
      execFile(
        'nvidia-smi',
        ['--query-gpu=name,utilization.gpu,memory.used,memory.total', '--format=csv,noheader,nounits'],
        { timeout: 2000 },
        (err, stdout) => {
          if (err) {
            gpuAvailable = false;
            return;
          }
          const [name, util, used, total] = stdout
            .split('\n')[0]
            .split(',')
            .map((s) => s.trim());
          gpu = { name, utilPercent: Number(util), memUsedMb: Number(used), memTotalMb: Number(total) };
        },
      );
    }
    ticks++;
    onReading({ cpuPercent, rssMb: process.memoryUsage().rss / 1e6, ...(gpu ? { gpu } : {}) });
  };
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
