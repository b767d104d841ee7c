/**
 * Which NVIDIA GPUs this machine has (nvidia-smi, then /proc/driver/nvidia), and which of them CUDA
 * lets this process see (CUDA_VISIBLE_DEVICES). Parsers are pure; the runner and the file reader are
 * injectable. No tfjs import: the dashboard's system sampler uses it on the main thread.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface GpuInfo {
  readonly name: string;
  readonly memoryTotalMiB?: number;
  readonly memoryUsedMiB?: number;
  readonly utilizationPercent?: number;
  /** e.g. '9.0' */
  readonly computeCapability?: string;
  readonly driverVersion?: string;
  /** e.g. 'GPU-8932f937-d72c-4106-c12f-20bd9faed9f6': what CUDA_VISIBLE_DEVICES may name. */
  readonly uuid?: string;
}

export interface GpuQuery {
  /** Where the GPUs were seen. */
  readonly source: 'nvidia-smi' | '/proc/driver/nvidia' | 'none';
  readonly gpus: readonly GpuInfo[];
  readonly driverVersion?: string;
  /** The raw text the GPUs were parsed from. */
  readonly raw?: string;
}

/** Runs a program; resolves to its stdout, or null if it is absent, fails or times out. */
export type CommandRunner = (file: string, args: readonly string[], timeoutMs: number) => Promise<string | null>;

export const runCommand: CommandRunner = (file, args, timeoutMs) =>
  new Promise((resolve) => {
    try {
      execFile(file, [...args], { timeout: timeoutMs, encoding: 'utf8', maxBuffer: 4 << 20 }, (err, stdout) => {
        resolve(err ? null : stdout);
      });
    } catch {
      resolve(null);
    }
  });

export interface FileReader {
  readFile(path: string): string | null;
  listDir(path: string): string[] | null;
}

export const realFiles: FileReader = {
  readFile(path) {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return null;
    }
  },
  listDir(path) {
    try {
      return readdirSync(path);
    } catch {
      return null;
    }
  },
};

export const NVIDIA_SMI_FIELDS = ['name', 'memory.total', 'utilization.gpu', 'memory.used', 'compute_cap', 'driver_version', 'uuid'];
/** Drivers before 510 have no `compute_cap` field (nvidia-smi then fails the whole query). */
export const NVIDIA_SMI_FIELDS_OLD = ['name', 'memory.total', 'utilization.gpu', 'memory.used', 'driver_version', 'uuid'];

function numberOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /-?\d+(?:\.\d+)?/.exec(value);
  return m ? Number(m[0]) : undefined;
}

function present(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  return v === '' || /^\[.*\]$/.test(v) || v === 'N/A' ? undefined : v;
}

/** Parses `nvidia-smi --query-gpu=<fields> --format=csv,noheader` output. */
export function parseNvidiaSmiCsv(text: string, fields: readonly string[] = NVIDIA_SMI_FIELDS): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const cells = line.split(',').map((c) => c.trim());
    const get = (field: string): string | undefined => {
      const i = fields.indexOf(field);
      return i < 0 ? undefined : present(cells[i]);
    };
    const name = get('name');
    if (!name) continue;
    gpus.push({
      name,
      memoryTotalMiB: numberOf(get('memory.total')),
      memoryUsedMiB: numberOf(get('memory.used')),
      utilizationPercent: numberOf(get('utilization.gpu')),
      computeCapability: get('compute_cap'),
      driverVersion: get('driver_version'),
      uuid: get('uuid'),
    });
  }
  return gpus;
}

/** Parses one /proc/driver/nvidia/gpus/<bus>/information file (its `Model:` and `GPU UUID:` lines). */
export function parseProcGpuInformation(text: string): GpuInfo | null {
  const name = /^Model:\s*(.+)$/m.exec(text)?.[1]?.trim();
  const uuid = present(/^GPU UUID:\s*(.+)$/m.exec(text)?.[1]);
  if (!name) return null;
  return uuid ? { name, uuid } : { name };
}

/** Parses /proc/driver/nvidia/version ("NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15 ..."). */
export function parseProcDriverVersion(text: string): string | undefined {
  return /Kernel Module\s+(?:for \S+\s+)?(\d+(?:\.\d+)+)/.exec(text)?.[1];
}

/**
 * The GPUs CUDA lets this process use, in CUDA's order, as CUDA_VISIBLE_DEVICES says: unset, all of
 * them; otherwise a comma-separated list of indices (into nvidia-smi's list) and GPU UUIDs (`GPU-...`,
 * a unique prefix is enough). Like CUDA, the list stops at the first entry that names no GPU (an
 * index out of range or negative, an unknown or ambiguous UUID, a repeat, anything else), so an
 * empty value or `-1` means no GPU. `MIG-...` entries name MIG slices, which nvidia-smi does not
 * list as GPUs: they stop the list too. Indices follow nvidia-smi (PCI bus order), which is CUDA's
 * order under CUDA_DEVICE_ORDER=PCI_BUS_ID and on machines whose GPUs are all one model.
 */
export function visibleGpus(gpus: readonly GpuInfo[], cudaVisibleDevices?: string): GpuInfo[] {
  if (cudaVisibleDevices === undefined) return [...gpus];
  const visible: GpuInfo[] = [];
  for (const raw of cudaVisibleDevices.split(',')) {
    const entry = raw.trim();
    let gpu: GpuInfo | undefined;
    if (/^\d+$/.test(entry)) {
      gpu = gpus[Number(entry)];
    } else if (/^GPU-/i.test(entry)) {
      const matches = gpus.filter((g) => g.uuid?.toLowerCase().startsWith(entry.toLowerCase()));
      gpu = matches.length === 1 ? matches[0] : undefined;
    }
    if (gpu === undefined || visible.includes(gpu)) break;
    visible.push(gpu);
  }
  return visible;
}

/** The GPU CUDA calls device 0 here (see `visibleGpus`), or undefined when none is visible. */
export function firstVisibleGpu(gpus: readonly GpuInfo[], cudaVisibleDevices?: string): GpuInfo | undefined {
  return visibleGpus(gpus, cudaVisibleDevices)[0];
}

/**
 * Asks nvidia-smi (2 s timeout) for its GPUs, with the field list older drivers lack `compute_cap`
 * in as the second try. Null when nvidia-smi is absent, fails, or lists none.
 */
export async function queryNvidiaSmi(run: CommandRunner = runCommand): Promise<{ gpus: GpuInfo[]; raw: string } | null> {
  for (const fields of [NVIDIA_SMI_FIELDS, NVIDIA_SMI_FIELDS_OLD]) {
    const out = await run('nvidia-smi', [`--query-gpu=${fields.join(',')}`, '--format=csv,noheader'], 2000);
    if (out === null) continue;
    const gpus = parseNvidiaSmiCsv(out, fields);
    if (gpus.length > 0) return { gpus, raw: out.trim() };
  }
  return null;
}

/** Asks nvidia-smi, then /proc/driver/nvidia, which GPUs this machine has (all of them: see `visibleGpus`). */
export async function queryGpus(run: CommandRunner = runCommand, files: FileReader = realFiles): Promise<GpuQuery> {
  const procVersion = files.readFile('/proc/driver/nvidia/version');
  const procDriver = procVersion ? parseProcDriverVersion(procVersion) : undefined;
  const smi = await queryNvidiaSmi(run);
  if (smi) return { source: 'nvidia-smi', gpus: smi.gpus, driverVersion: smi.gpus[0]?.driverVersion ?? procDriver, raw: smi.raw };
  const dirs = files.listDir('/proc/driver/nvidia/gpus') ?? [];
  const gpus: GpuInfo[] = [];
  const raw: string[] = [];
  for (const dir of [...dirs].sort()) {
    const text = files.readFile(`/proc/driver/nvidia/gpus/${dir}/information`);
    const gpu = text === null ? null : parseProcGpuInformation(text);
    if (gpu === null || text === null) continue;
    gpus.push(procDriver ? { ...gpu, driverVersion: procDriver } : gpu);
    raw.push(text.trim());
  }
  if (gpus.length > 0 || procVersion) {
    return {
      source: '/proc/driver/nvidia',
      gpus,
      driverVersion: procDriver,
      raw: [procVersion?.trim(), ...raw].filter(Boolean).join('\n'),
    };
  }
  return { source: 'none', gpus: [] };
}
