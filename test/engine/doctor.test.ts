import { describe, expect, it } from 'vitest';
import type { BackendName, BackendTrial, InitOptions } from '../../src/engine/backends/types.js';
import type { CommandRunner } from '../../src/platform/nvidia-smi.js';
import { GPU_CPU_FALLBACK_REASON } from '../../src/engine/backends/backend-errors.js';
import {
  bestBackend,
  checkLibraries,
  cudaReport,
  cudaWarnings,
  diagnose,
  majorsOf,
  parseLdconfig,
  type DoctorProbes,
} from '../../src/engine/doctor.js';
import { formatDoctorReport } from '../../src/commands/doctor.js';

const CUDA12_ONLY = `612 libs found in cache \`/etc/ld.so.cache'
\tlibz.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libz.so.1
\tlibcudart.so.12 (libc6,x86-64) => /usr/local/cuda-12.4/targets/x86_64-linux/lib/libcudart.so.12
\tlibcudart.so (libc6,x86-64) => /usr/local/cuda-12.4/targets/x86_64-linux/lib/libcudart.so
\tlibcublas.so.12 (libc6,x86-64) => /usr/local/cuda-12.4/targets/x86_64-linux/lib/libcublas.so.12
\tlibcublasLt.so.12 (libc6,x86-64) => /usr/local/cuda-12.4/targets/x86_64-linux/lib/libcublasLt.so.12
\tlibcufft.so.11 (libc6,x86-64) => /usr/local/cuda-12.4/targets/x86_64-linux/lib/libcufft.so.11
\tlibcudnn.so.9 (libc6,x86-64) => /lib/x86_64-linux-gnu/libcudnn.so.9
\tlibcuda.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libcuda.so.1
\tlibcuda.so.1 (libc6) => /lib/i386-linux-gnu/libcuda.so.1
`;

const CUDA11_LIBS = [
  'libcudart.so.11.0',
  'libcudnn.so.8',
  'libcublas.so.11',
  'libcublasLt.so.11',
  'libcufft.so.10',
  'libcurand.so.10',
  'libcusolver.so.11',
  'libcusparse.so.11',
];
const CUDA11_AND_CUDNN8 =
  `${CUDA11_LIBS.length} libs found in cache \`/etc/ld.so.cache'\n` +
  CUDA11_LIBS.filter((l) => l !== 'libcudnn.so.8')
    .map((l) => `\t${l} (libc6,x86-64) => /usr/local/cuda-11.8/lib64/${l}\n`)
    .join('') +
  '\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1\n';

const H200_SMI = 'NVIDIA H200, 143771 MiB, 0 %, 0 MiB, 9.0, 550.54.15\n';

describe('ldconfig parsing and library checks', () => {
  it('parses ldconfig -p', () => {
    const libs = parseLdconfig(CUDA12_ONLY);
    expect(libs.get('libcudart.so.12')).toEqual(['/usr/local/cuda-12.4/targets/x86_64-linux/lib/libcudart.so.12']);
    expect(libs.get('libcuda.so.1')).toHaveLength(2);
    expect(libs.has('612')).toBe(false);
    expect(majorsOf('libcudart', libs, new Map())).toEqual([12]);
    expect(majorsOf('libcudnn', libs, new Map())).toEqual([9]);
  });

  it('CUDA 12 only -> the CUDA-12-only warning', () => {
    const cuda = cudaReport(CUDA12_ONLY, new Map());
    expect(cuda.libraries.every((l) => !l.found)).toBe(true);
    expect(cuda.driverLibrary.found).toBe(true);
    expect(cuda.cudaMajors).toEqual([12]);
    const w = cudaWarnings(cuda, true);
    expect(w[0]).toMatch(/^CUDA 12 only: the GPU build will silently compute on the CPU/);
    expect(w[0]).toContain('libcudart.so.11.0');
    expect(w.join(' ')).toContain('cuDNN 9 is present, but libtensorflow 2.9.1 needs cuDNN 8');
  });

  it('CUDA 11 in the ld cache + cuDNN 8 on LD_LIBRARY_PATH -> all resolve, no warning', () => {
    const listings = new Map([['/opt/conda/envs/cuda11/lib/', ['libcudnn.so.8', 'libcudnn.so.8.6.0', 'libcudart.so.11.0']]]);
    const cuda = cudaReport(CUDA11_AND_CUDNN8, listings);
    expect(cuda.libraries.map((l) => [l.name, l.found])).toEqual(CUDA11_LIBS.map((l) => [l, true]));
    // LD_LIBRARY_PATH comes first, as for the dynamic loader.
    expect(cuda.libraries.find((l) => l.name === 'libcudnn.so.8')).toEqual({
      name: 'libcudnn.so.8',
      found: true,
      path: '/opt/conda/envs/cuda11/lib/libcudnn.so.8',
      via: 'LD_LIBRARY_PATH',
    });
    expect(cuda.libraries.find((l) => l.name === 'libcublas.so.11')?.via).toBe('ldconfig');
    expect(cuda.cudaMajors).toEqual([11]);
    expect(cuda.cudnnMajors).toEqual([8]);
    expect(cudaWarnings(cuda, true)).toEqual([]);
  });

  it('CUDA 11 without cuDNN names what is missing', () => {
    const w = cudaWarnings(cudaReport(CUDA11_AND_CUDNN8, new Map()), true);
    expect(w).toHaveLength(1);
    expect(w[0]).toContain('libcudnn.so.8 is missing');
  });

  it('checkLibraries reports a missing one', () => {
    expect(checkLibraries(['libfoo.so.1'], new Map(), new Map())).toEqual([{ name: 'libfoo.so.1', found: false, path: null, via: null }]);
  });
});

/** Fake probes: an H200 box where only the GPU build is installed and only CUDA 12 is present. */
function h200Probes(over: Partial<DoctorProbes> = {}): Partial<DoctorProbes> {
  const run: CommandRunner = async (file, args) => {
    if (file === 'nvidia-smi') return args[0]!.includes('compute_cap') ? H200_SMI : null;
    if (file.endsWith('ldconfig')) return CUDA12_ONLY;
    return null;
  };
  const tried: BackendName[] = [];
  const tryBackend = async (name: BackendName): Promise<BackendTrial> => {
    tried.push(name);
    if (name === 'node-gpu') {
      return {
        attempt: { name, ok: false, reason: GPU_CPU_FALLBACK_REASON, fix: 'install CUDA 11.8' },
        loaded: {
          tfBackend: 'tensorflow',
          device: 'CPU (TensorFlow native, GPU build found no usable GPU)',
          usingGpu: false,
          warnings: [],
          versions: {},
        },
      };
    }
    if (name === 'node') throw new Error('doctor must not load a second native build');
    return {
      attempt: { name, ok: true },
      loaded: {
        tfBackend: name,
        device: name === 'wasm' ? 'CPU (wasm, SIMD, 1 thread)' : 'CPU (pure JavaScript)',
        usingGpu: false,
        warnings: [],
        versions: {},
      },
    };
  };
  return {
    nodeVersion: '20.19.0',
    env: {},
    packageVersion: () => '4.22.0',
    runCommand: run,
    files: { readFile: () => null, listDir: () => null },
    tryBackend,
    ...over,
  };
}

describe('diagnose with fake probes', () => {
  it('tries wasm as a CNN starts it (threaded), notes the MLP thread, and passes on its warnings', async () => {
    const options = new Map<BackendName, InitOptions>();
    const wasmTrial = (device: string, warnings: string[]) =>
      diagnose(
        h200Probes({
          runCommand: async () => null,
          tryBackend: async (name, o) => {
            options.set(name, o);
            if (name !== 'wasm') return { attempt: { name, ok: false, reason: 'not installed' } };
            return { attempt: { name, ok: true }, loaded: { tfBackend: 'wasm', device, usingGpu: false, warnings, versions: {} } };
          },
        }),
      );
    const threaded = await wasmTrial('CPU (wasm, SIMD, 2 threads)', []);
    expect(options.get('wasm')).toMatchObject({ convolutional: true });
    expect(options.get('cpu')?.convolutional).toBeUndefined();
    expect(threaded.notes.join('\n')).toContain('wasm trains CNNs on the threads shown and MLPs on one thread');
    const failed = await wasmTrial('CPU (wasm, SIMD, 1 thread)', [
      'The multi-threaded wasm build did not start (EACCES); using one thread',
    ]);
    expect(failed.warnings).toContain('The multi-threaded wasm build did not start (EACCES); using one thread');
    expect(failed.notes.join('\n')).not.toContain('wasm trains CNNs');
  });

  it('an H200 with CUDA 12 only: PTX warning, CUDA-12-only warning, silent CPU fallback, one native build tried', async () => {
    const r = await diagnose(h200Probes());
    expect(r.gpu).toMatchObject({ source: 'nvidia-smi', computeCapability: '9.0', driverVersion: '550.54.15' });
    expect(r.gpu.gpus[0]!.name).toBe('NVIDIA H200');
    const rows = Object.fromEntries(r.backends.map((b) => [b.name, b]));
    expect(rows['node-gpu']).toMatchObject({
      found: true,
      loads: 'yes',
      computesOn: 'CPU (TensorFlow native, GPU build found no usable GPU)',
      whyNot: GPU_CPU_FALLBACK_REASON,
    });
    expect(rows.node).toMatchObject({ found: true, loads: 'not tried' });
    expect(rows.wasm).toMatchObject({ loads: 'yes', whyNot: null });
    const warnings = r.warnings.join('\n');
    expect(warnings).toMatch(/CUDA 12 only: the GPU build will silently compute on the CPU/);
    expect(warnings).toMatch(/compute capability 9\.0 \(sm_90\).*PTX/s);
    expect(warnings).toMatch(/loads but computes on the CPU/);
    expect(r.notes.join('\n')).toMatch(/TF_FORCE_GPU_ALLOW_GROWTH is not set/);
    expect(r.best.name).toBe('node-gpu');
    expect(r.best.line).toContain('NVIDIA H200 is not used');
    expect(r.env.TF_FORCE_GPU_ALLOW_GROWTH).toBeNull();

    const text = formatDoctorReport(r);
    expect(text).toContain('NVIDIA H200');
    expect(text).toContain('compute capability 9.0');
    for (const line of text.split('\n')) {
      // Only an unbreakable command may overflow 80 columns.
      if (line.length > 80) expect(line).toMatch(/`/);
    }
  });

  it('a working CUDA 11 GPU box: the GPU build is best, only the PTX warning', async () => {
    const run: CommandRunner = async (file) =>
      file === 'nvidia-smi'
        ? 'NVIDIA A100-SXM4-40GB, 40960 MiB, 3 %, 500 MiB, 8.0, 535.1\n'
        : file.endsWith('ldconfig')
          ? CUDA11_AND_CUDNN8
          : null;
    const r = await diagnose(
      h200Probes({
        runCommand: run,
        env: { TF_FORCE_GPU_ALLOW_GROWTH: 'true', LD_LIBRARY_PATH: '/opt/cudnn8/lib' },
        files: { readFile: () => null, listDir: (d) => (d === '/opt/cudnn8/lib' ? ['libcudnn.so.8'] : null) },
        tryBackend: async (name) => ({
          attempt: { name, ok: true },
          loaded: {
            tfBackend: 'x',
            device: name === 'node-gpu' ? 'GPU (NVIDIA A100-SXM4-40GB)' : 'CPU (x)',
            usingGpu: name === 'node-gpu',
            warnings: [],
            versions: {},
          },
        }),
      }),
    );
    expect(r.cuda.libraries.every((l) => l.found)).toBe(true);
    // libtensorflow 2.9.1 has SASS up to sm_75 and PTX for compute_80: the A100 (8.0) JIT-compiles too.
    expect(r.warnings).toEqual([expect.stringMatching(/compute capability 8\.0 .*PTX for compute_80/)]);
    expect(r.best).toMatchObject({ name: 'node-gpu', device: 'GPU (NVIDIA A100-SXM4-40GB)' });
  });

  it('Node 23 is warned about', async () => {
    const r = await diagnose(h200Probes({ nodeVersion: '23.3.0', packageVersion: (p) => (p.includes('tfjs-node') ? null : '4.22.0') }));
    expect(r.node.ok).toBe(false);
    expect(r.warnings[0]).toContain('Node 23');
  });

  it('no GPU, nothing native: wasm is best and the CPU build is suggested', () => {
    const best = bestBackend(
      [
        { name: 'node-gpu', package: '', found: false, version: null, loads: 'no', computesOn: null, whyNot: 'not installed', fix: 'x' },
        { name: 'node', package: '', found: false, version: null, loads: 'no', computesOn: null, whyNot: 'not installed', fix: 'x' },
        {
          name: 'wasm',
          package: '',
          found: true,
          version: '4.22.0',
          loads: 'yes',
          computesOn: 'CPU (wasm, SIMD, 1 thread)',
          whyNot: null,
          fix: null,
        },
        {
          name: 'cpu',
          package: '',
          found: true,
          version: '4.22.0',
          loads: 'yes',
          computesOn: 'CPU (pure JavaScript)',
          whyNot: null,
          fix: null,
        },
      ],
      [],
    );
    expect(best.name).toBe('wasm');
    expect(best.line).toContain('@tensorflow/tfjs-node@4.22.0');
  });
});
