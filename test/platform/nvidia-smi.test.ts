import { describe, expect, it } from 'vitest';
import {
  NVIDIA_SMI_FIELDS,
  firstVisibleGpu,
  parseNvidiaSmiCsv,
  parseProcDriverVersion,
  parseProcGpuInformation,
  queryGpus,
  queryNvidiaSmi,
  visibleGpus,
  type CommandRunner,
  type FileReader,
} from '../../src/platform/nvidia-smi.js';

// Captured from `nvidia-smi --query-gpu=name,memory.total,utilization.gpu,memory.used,compute_cap,driver_version,uuid
// --format=csv,noheader` (driver 550) on a machine with two GPUs; the L4 has no utilisation reading.
const TWO_GPUS =
  'NVIDIA H200, 143771 MiB, 0 %, 1 MiB, 9.0, 550.54.15, GPU-8932f937-d72c-4106-c12f-20bd9faed9f6\n' +
  'NVIDIA L4, 23034 MiB, [N/A], 0 MiB, 8.9, 550.54.15, GPU-1f2e3d4c-5b6a-7988-a7b6-c5d4e3f2a1b0\n';
const H200 = 'GPU-8932f937-d72c-4106-c12f-20bd9faed9f6';
const L4 = 'GPU-1f2e3d4c-5b6a-7988-a7b6-c5d4e3f2a1b0';
const noFiles: FileReader = { readFile: () => null, listDir: () => null };

describe('nvidia-smi parsing', () => {
  it('parses the csv, units, [N/A] cells and the UUID', () => {
    expect(parseNvidiaSmiCsv(TWO_GPUS)).toEqual([
      {
        name: 'NVIDIA H200',
        memoryTotalMiB: 143771,
        memoryUsedMiB: 1,
        utilizationPercent: 0,
        computeCapability: '9.0',
        driverVersion: '550.54.15',
        uuid: H200,
      },
      {
        name: 'NVIDIA L4',
        memoryTotalMiB: 23034,
        memoryUsedMiB: 0,
        utilizationPercent: undefined,
        computeCapability: '8.9',
        driverVersion: '550.54.15',
        uuid: L4,
      },
    ]);
  });

  it('parses `nounits` output and a field list without the uuid', () => {
    const gpus = parseNvidiaSmiCsv('NVIDIA A100-SXM4-80GB, 81920, 37, 4021, 8.0, 535.104.05\n', NVIDIA_SMI_FIELDS.slice(0, 6));
    expect(gpus).toEqual([
      expect.objectContaining({ name: 'NVIDIA A100-SXM4-80GB', memoryTotalMiB: 81920, utilizationPercent: 37, memoryUsedMiB: 4021 }),
    ]);
    expect(gpus[0]?.uuid).toBeUndefined();
  });

  it('asks nvidia-smi with the uuid field, and falls back to the field list without compute_cap', async () => {
    // A driver before 510 fails the compute_cap query (exit code 2): the runner gives null.
    const asked: string[] = [];
    const oldDriver: CommandRunner = async (_f, args) => {
      asked.push(args[0] ?? '');
      return args[0]?.includes('compute_cap') ? null : 'Tesla V100-SXM2-16GB, 16160 MiB, 0 %, 0 MiB, 470.1, GPU-aaaa\n';
    };
    const smi = await queryNvidiaSmi(oldDriver);
    expect(asked).toEqual([
      '--query-gpu=name,memory.total,utilization.gpu,memory.used,compute_cap,driver_version,uuid',
      '--query-gpu=name,memory.total,utilization.gpu,memory.used,driver_version,uuid',
    ]);
    expect(smi?.gpus[0]).toMatchObject({
      name: 'Tesla V100-SXM2-16GB',
      computeCapability: undefined,
      driverVersion: '470.1',
      uuid: 'GPU-aaaa',
    });
    expect(await queryNvidiaSmi(async () => null)).toBeNull();
    // nvidia-smi answers but lists nothing (e.g. "No devices were found" goes to stderr).
    expect(await queryNvidiaSmi(async () => '')).toBeNull();
  });

  it('parses /proc/driver/nvidia', () => {
    expect(parseProcGpuInformation('Model: \t\t NVIDIA H200\nIRQ:   \t\t 0\nGPU UUID: \t GPU-1\n')).toEqual({
      name: 'NVIDIA H200',
      uuid: 'GPU-1',
    });
    expect(parseProcGpuInformation('IRQ: 0\n')).toBeNull();
    expect(parseProcDriverVersion('NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024\n')).toBe(
      '550.54.15',
    );
    expect(parseProcDriverVersion('NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  560.35.03  Release Build\n')).toBe('560.35.03');
  });

  it('queryGpus falls back from nvidia-smi to /proc, to none', async () => {
    const q = await queryGpus(async () => TWO_GPUS, noFiles);
    expect(q).toMatchObject({ source: 'nvidia-smi', driverVersion: '550.54.15', raw: TWO_GPUS.trim() });
    expect(q.gpus.map((g) => g.name)).toEqual(['NVIDIA H200', 'NVIDIA L4']);

    const none: CommandRunner = async () => null;
    const proc: FileReader = {
      readFile: (p) =>
        p === '/proc/driver/nvidia/version'
          ? 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue\n'
          : p.endsWith('/information')
            ? `Model: \t\t NVIDIA H200\nGPU UUID: \t ${H200}\n`
            : null,
      listDir: (p) => (p === '/proc/driver/nvidia/gpus' ? ['0000:19:00.0'] : null),
    };
    const q2 = await queryGpus(none, proc);
    expect(q2).toMatchObject({ source: '/proc/driver/nvidia', driverVersion: '550.54.15', gpus: [{ name: 'NVIDIA H200', uuid: H200 }] });
    expect((await queryGpus(none, noFiles)).source).toBe('none');
  });
});

describe('CUDA_VISIBLE_DEVICES', () => {
  const gpus = parseNvidiaSmiCsv(TWO_GPUS);
  const names = (cvd: string | undefined) => visibleGpus(gpus, cvd).map((g) => g.name);

  it('unset: every GPU, in nvidia-smi order', () => {
    expect(names(undefined)).toEqual(['NVIDIA H200', 'NVIDIA L4']);
    expect(firstVisibleGpu(gpus, undefined)?.name).toBe('NVIDIA H200');
  });

  it('indices pick and reorder', () => {
    expect(names('1')).toEqual(['NVIDIA L4']);
    expect(names('1,0')).toEqual(['NVIDIA L4', 'NVIDIA H200']);
    expect(names(' 1 , 0 ')).toEqual(['NVIDIA L4', 'NVIDIA H200']);
    expect(firstVisibleGpu(gpus, '1')?.name).toBe('NVIDIA L4');
  });

  it('GPU UUIDs, whole or a unique prefix, any case', () => {
    expect(names(L4)).toEqual(['NVIDIA L4']);
    expect(names(`${L4},${H200}`)).toEqual(['NVIDIA L4', 'NVIDIA H200']);
    expect(names('GPU-8932')).toEqual(['NVIDIA H200']);
    expect(names(`GPU-${H200.slice(4).toUpperCase()}`)).toEqual(['NVIDIA H200']);
    expect(names(`0,${L4}`)).toEqual(['NVIDIA H200', 'NVIDIA L4']);
  });

  it('empty or -1: no GPU', () => {
    expect(names('')).toEqual([]);
    expect(names('  ')).toEqual([]);
    expect(names('-1')).toEqual([]);
    expect(firstVisibleGpu(gpus, '')).toBeUndefined();
    expect(firstVisibleGpu(gpus, '-1')).toBeUndefined();
  });

  it('stops at the first entry that names no GPU, as CUDA does', () => {
    expect(names('1,-1,0')).toEqual(['NVIDIA L4']);
    expect(names('0,7,1')).toEqual(['NVIDIA H200']);
    expect(names('2')).toEqual([]);
    expect(names('GPU-ffff')).toEqual([]);
    // 'GPU-' is a prefix of both: ambiguous.
    expect(names('GPU-')).toEqual([]);
    expect(names('0,0,1')).toEqual(['NVIDIA H200']);
    expect(names('MIG-5c89a6b1-0c7d-5b2e-9d0a-1f2e3d4c5b6a')).toEqual([]);
    expect(names('nvidia0')).toEqual([]);
  });

  it('UUIDs need a source that has them: /proc and nvidia-smi do, a GPU without one is never matched', () => {
    const noUuid = [{ name: 'Tesla K80' }];
    expect(visibleGpus(noUuid, '0').map((g) => g.name)).toEqual(['Tesla K80']);
    expect(visibleGpus(noUuid, 'GPU-1')).toEqual([]);
  });
});
