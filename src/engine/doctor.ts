/**
 * `resnet-tutor doctor`: gathers the facts about this machine's compute backends, GPU and CUDA
 * libraries, and what to do about problems. Prints nothing (the command and, later, the UI format
 * the report). Every external probe (nvidia-smi, ldconfig, files, package lookup, backend loading)
 * is injectable, and all parsing is done by pure functions, so tests feed fake text.
 *
 * Doctor runs in its own process, so it may load a TensorFlow native build to see whether it
 * loads; it tries only one of them (the first found), since two cannot load in one process.
 */
import { CUDA11_FIX, CUDA_CACHE_SIZE, GPU_BUILD_LIBRARIES, needsPtxJit, ptxJitWarning, smName } from '../platform/cuda.js';
import {
  firstVisibleGpu,
  queryGpus,
  realFiles,
  runCommand,
  type CommandRunner,
  type FileReader,
  type GpuInfo,
  type GpuQuery,
} from '../platform/nvidia-smi.js';
import { AUTO_ORDER, tryBackend } from './backend.js';
import { BACKEND_PACKAGES, INSTALL_FIX, nodeMajor, nodeVersionProblem } from './backends/backend-errors.js';
import { packageVersion } from './backends/load-util.js';
import type { BackendName, BackendTrial, InitOptions } from './backends/types.js';
import { WASM_THREADS_ENV } from './wasm-threads.js';

export interface BackendRow {
  readonly name: BackendName;
  readonly package: string;
  /** The package resolves from here. */
  readonly found: boolean;
  readonly version: string | null;
  readonly loads: 'yes' | 'no' | 'not tried';
  /** Which device computes when it loads, e.g. 'CPU (wasm, SIMD, 1 thread)'. */
  readonly computesOn: string | null;
  readonly whyNot: string | null;
  readonly fix: string | null;
}

export interface LibraryCheck {
  readonly name: string;
  readonly found: boolean;
  /** Where it resolves (LD_LIBRARY_PATH directories come first, as for the dynamic loader). */
  readonly path: string | null;
  readonly via: 'LD_LIBRARY_PATH' | 'ldconfig' | null;
}

export interface CudaReport {
  /** What the GPU build's libtensorflow 2.9.1 needs. */
  readonly needs: string;
  readonly libraries: readonly LibraryCheck[];
  /** The NVIDIA driver's user-space library. */
  readonly driverLibrary: LibraryCheck;
  /** CUDA runtime major versions present (from libcudart.so.N), e.g. [12]. */
  readonly cudaMajors: readonly number[];
  /** cuDNN major versions present (from libcudnn.so.N). */
  readonly cudnnMajors: readonly number[];
  /** Whether `ldconfig -p` could be read (if not, only LD_LIBRARY_PATH was searched). */
  readonly ldconfigRead: boolean;
}

export interface DoctorReport {
  readonly node: { readonly version: string; readonly ok: boolean; readonly warning: string | null };
  /** Versions of the tfjs packages (null: not installed). */
  readonly packages: Readonly<Record<string, string | null>>;
  readonly backends: readonly BackendRow[];
  readonly gpu: {
    readonly source: GpuQuery['source'];
    readonly gpus: readonly GpuInfo[];
    readonly driverVersion: string | null;
    /** e.g. '9.0' for the first GPU, when nvidia-smi can tell. */
    readonly computeCapability: string | null;
    readonly raw: string | null;
  };
  readonly cuda: CudaReport;
  /** The environment variables that matter, as they were when doctor started. */
  readonly env: Readonly<Record<string, string | null>>;
  readonly warnings: readonly string[];
  readonly notes: readonly string[];
  readonly best: { readonly name: BackendName | null; readonly device: string | null; readonly line: string };
}

export interface DoctorProbes {
  readonly nodeVersion: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The installed version of a package, or null. */
  readonly packageVersion: (pkg: string) => string | null;
  readonly runCommand: CommandRunner;
  readonly files: FileReader;
  readonly tryBackend: (name: BackendName, options: InitOptions) => Promise<BackendTrial>;
}

export type DiagnoseOptions = InitOptions;

export const ENV_KEYS = [
  'TF_FORCE_GPU_ALLOW_GROWTH',
  'TF_CPP_MIN_LOG_LEVEL',
  'CUDA_VISIBLE_DEVICES',
  'CUDA_CACHE_MAXSIZE',
  'CUDA_CACHE_DISABLE',
  'LD_LIBRARY_PATH',
] as const;

const TFJS_PACKAGES = [
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
] as const;

// ---------------------------------------------------------------------------------------------
// Pure parsers

/** Parses `ldconfig -p` output into soname -> paths. */
export function parseLdconfig(text: string): Map<string, string[]> {
  const libs = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^\s*(\S+)\s+\(([^)]*)\)\s+=>\s+(\S.*?)\s*$/.exec(line);
    if (!m) continue;
    const [, name, , path] = m;
    const list = libs.get(name!) ?? [];
    list.push(path!);
    libs.set(name!, list);
  }
  return libs;
}

/** The directories of an LD_LIBRARY_PATH value, in order, empty entries dropped. */
export function ldLibraryPathDirs(value: string | undefined): string[] {
  return (value ?? '').split(':').filter((d) => d.trim() !== '');
}

/**
 * Resolves each library as the dynamic loader would (LD_LIBRARY_PATH first, then the ld cache).
 * `dirListings` maps each LD_LIBRARY_PATH directory to its file names.
 */
export function checkLibraries(
  names: readonly string[],
  ldconfig: ReadonlyMap<string, readonly string[]>,
  dirListings: ReadonlyMap<string, readonly string[]>,
): LibraryCheck[] {
  return names.map((name) => {
    for (const [dir, files] of dirListings) {
      if (files.includes(name)) return { name, found: true, path: `${dir.replace(/\/+$/, '')}/${name}`, via: 'LD_LIBRARY_PATH' };
    }
    const paths = ldconfig.get(name);
    if (paths && paths.length > 0) return { name, found: true, path: paths[0]!, via: 'ldconfig' };
    return { name, found: false, path: null, via: null };
  });
}

/** The major versions N seen as `<stem>.so.N[...]` (e.g. libcudart.so.12 -> 12). */
export function majorsOf(
  stem: string,
  ldconfig: ReadonlyMap<string, readonly string[]>,
  dirListings: ReadonlyMap<string, readonly string[]>,
): number[] {
  const names = [...ldconfig.keys(), ...[...dirListings.values()].flat()];
  const re = new RegExp(`^${stem.replace(/[.+]/g, '\\$&')}\\.so\\.(\\d+)`);
  const majors = new Set<number>();
  for (const n of names) {
    const m = re.exec(n);
    if (m) majors.add(Number(m[1]));
  }
  return [...majors].sort((a, b) => a - b);
}

/** Builds the CUDA part of the report from `ldconfig -p` text and LD_LIBRARY_PATH listings. */
export function cudaReport(ldconfigText: string | null, dirListings: ReadonlyMap<string, readonly string[]>): CudaReport {
  const ld = parseLdconfig(ldconfigText ?? '');
  return {
    needs: 'libtensorflow 2.9.1 (inside tfjs-node-gpu 4.22) needs CUDA 11.x and cuDNN 8',
    libraries: checkLibraries(GPU_BUILD_LIBRARIES, ld, dirListings),
    driverLibrary: checkLibraries(['libcuda.so.1'], ld, dirListings)[0]!,
    cudaMajors: majorsOf('libcudart', ld, dirListings),
    cudnnMajors: majorsOf('libcudnn', ld, dirListings),
    ldconfigRead: ldconfigText !== null,
  };
}

/** Warnings about the CUDA libraries for the GPU build (empty when all resolve). */
export function cudaWarnings(cuda: CudaReport, gpuSeen: boolean): string[] {
  const warnings: string[] = [];
  const missing = cuda.libraries.filter((l) => !l.found).map((l) => l.name);
  if (missing.length === 0) return warnings;
  const others = cuda.cudaMajors.filter((m) => m !== 11);
  if (!cuda.cudaMajors.includes(11) && others.length > 0) {
    warnings.push(
      `CUDA ${others.join(', ')} only: the GPU build will silently compute on the CPU. libtensorflow 2.9.1 ` +
        `needs CUDA 11.x and cuDNN 8 (missing: ${missing.join(', ')}). To fix it, ${CUDA11_FIX}.`,
    );
  } else if (gpuSeen) {
    warnings.push(
      `The GPU build would compute on the CPU: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing ` +
        `(libtensorflow 2.9.1 needs CUDA 11.x and cuDNN 8). To fix it, ${CUDA11_FIX}.`,
    );
  }
  const cudnnOthers = cuda.cudnnMajors.filter((m) => m !== 8);
  if (missing.includes('libcudnn.so.8') && cudnnOthers.length > 0) {
    warnings.push(`cuDNN ${cudnnOthers.join(', ')} is present, but libtensorflow 2.9.1 needs cuDNN 8 (libcudnn.so.8).`);
  }
  return warnings;
}

/** The one-line verdict: which backend `--backend auto` takes here and what would be faster. */
export function bestBackend(
  rows: readonly BackendRow[],
  gpus: readonly GpuInfo[],
): { name: BackendName | null; device: string | null; line: string } {
  const loaded = rows.filter((r) => r.loads === 'yes');
  const gpuRow = loaded.find((r) => r.computesOn?.startsWith('GPU'));
  const pick =
    gpuRow ?? loaded.find((r) => r.name === 'node-gpu' || r.name === 'node') ?? loaded.find((r) => r.name === 'wasm') ?? loaded[0];
  if (!pick) {
    return { name: null, device: null, line: 'no backend loads here: reinstall resnet-tutor (`npm install`).' };
  }
  let line = `${pick.name}, computing on ${pick.computesOn ?? 'an unknown device'}`;
  if (!gpuRow && gpus.length > 0) {
    const gpuBuild = rows.find((r) => r.name === 'node-gpu');
    line += gpuBuild?.found
      ? `. The ${gpus[0]!.name} is not used: see the warnings above.`
      : `. To use the ${gpus[0]!.name}: ${INSTALL_FIX['node-gpu']}, with CUDA 11.8 and cuDNN 8 libraries.`;
  } else if (!gpuRow && pick.name !== 'node' && pick.name !== 'node-gpu') {
    line += `. The TensorFlow native CPU build is faster: ${INSTALL_FIX.node}.`;
  }
  return { name: pick.name, device: pick.computesOn, line };
}

// ---------------------------------------------------------------------------------------------

const defaultProbes: DoctorProbes = {
  nodeVersion: process.versions.node,
  env: process.env,
  packageVersion,
  runCommand,
  files: realFiles,
  tryBackend,
};

async function readLdconfig(run: CommandRunner): Promise<string | null> {
  // ldconfig often lives in /sbin, which is not on a normal user's PATH.
  for (const file of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    const out = await run(file, ['-p'], 3000);
    if (out !== null) return out;
  }
  return null;
}

/** What the per-check functions below read. */
interface Facts {
  readonly p: DoctorProbes;
  readonly env: Readonly<Record<string, string | null>>;
  readonly rows: readonly BackendRow[];
  readonly gpuQuery: GpuQuery;
  readonly cuda: CudaReport;
  /** The GPU CUDA calls device 0 (CUDA_VISIBLE_DEVICES honoured). */
  readonly firstGpu: GpuInfo | undefined;
  readonly computeCapability: string | null;
}

/** The environment variables that matter, read before anything (loading the GPU build sets defaults). */
function snapshotEnv(env: DoctorProbes['env']): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const key of ENV_KEYS) out[key] = env[key] ?? null;
  return out;
}

function packageVersions(p: DoctorProbes): Record<string, string | null> {
  const packages: Record<string, string | null> = {};
  for (const pkg of TFJS_PACKAGES) packages[pkg.replace('@tensorflow/', '')] = p.packageVersion(pkg);
  return packages;
}

/** The file names in each LD_LIBRARY_PATH directory. */
function ldLibraryPathListings(p: DoctorProbes): Map<string, string[]> {
  const listings = new Map<string, string[]>();
  for (const dir of ldLibraryPathDirs(p.env.LD_LIBRARY_PATH)) {
    if (!listings.has(dir)) listings.set(dir, p.files.listDir(dir) ?? []);
  }
  return listings;
}

function trialOptions(name: BackendName, options: DiagnoseOptions): InitOptions {
  // wasm is tried as a CNN would start it: its multi-threaded build (MLPs use one thread).
  // webgpu is tried with software adapters allowed, so the report can name one (auto never takes it).
  if (name === 'wasm') return { ...options, convolutional: true };
  if (name === 'webgpu') return { ...options, allowSoftwareAdapter: true };
  return options;
}

/** One backend's row, loading it unless it is missing or a native build was tried already. */
async function backendRow(
  name: BackendName,
  p: DoctorProbes,
  options: DiagnoseOptions,
  nativeTried: BackendName | null,
): Promise<{ row: BackendRow; warnings: readonly string[] }> {
  const pkg = BACKEND_PACKAGES[name];
  const version = p.packageVersion(pkg);
  const found = version !== null;
  const base = { name, package: pkg, found, version };
  if (!found) {
    return { row: { ...base, loads: 'no', computesOn: null, whyNot: 'not installed', fix: INSTALL_FIX[name] }, warnings: [] };
  }
  if (isNative(name) && nativeTried !== null) {
    const row: BackendRow = {
      ...base,
      loads: 'not tried',
      computesOn: null,
      whyNot: `only one TensorFlow native build can load per process, and ${nativeTried} was tried`,
      fix: `check it with \`resnet-tutor train --backend ${name} ...\``,
    };
    return { row, warnings: [] };
  }
  const trial = await p.tryBackend(name, trialOptions(name, options));
  const row: BackendRow = {
    ...base,
    loads: trial.loaded !== undefined ? 'yes' : 'no',
    computesOn: trial.loaded?.device ?? null,
    whyNot: trial.attempt.ok ? null : (trial.attempt.reason ?? 'failed to load'),
    fix: trial.attempt.ok ? null : (trial.attempt.fix ?? null),
  };
  return { row, warnings: name === 'wasm' ? (trial.loaded?.warnings ?? []) : [] };
}

function isNative(name: BackendName): boolean {
  return name === 'node-gpu' || name === 'node';
}

/** Every backend in `auto` order. Only the first native build found is loaded (two cannot share a process). */
async function backendRows(p: DoctorProbes, options: DiagnoseOptions): Promise<{ rows: BackendRow[]; wasmWarnings: string[] }> {
  const rows: BackendRow[] = [];
  const wasmWarnings: string[] = [];
  let nativeTried: BackendName | null = null;
  for (const name of AUTO_ORDER) {
    const { row, warnings } = await backendRow(name, p, options, nativeTried);
    rows.push(row);
    wasmWarnings.push(...warnings);
    if (isNative(name) && row.loads !== 'not tried' && row.found) nativeTried = name;
  }
  return { rows, wasmWarnings };
}

function gpuBuildRow(rows: readonly BackendRow[]): BackendRow | undefined {
  return rows.find((r) => r.name === 'node-gpu');
}

function gpuBuildOnCpuWarnings({ rows }: Facts): string[] {
  const gpuBuild = gpuBuildRow(rows);
  if (gpuBuild?.loads !== 'yes' || gpuBuild.computesOn?.startsWith('GPU')) return [];
  return ['The GPU build loads but computes on the CPU (no usable GPU/CUDA 11 found): it silently runs no faster than the CPU build.'];
}

function cudaLibraryWarnings({ rows, gpuQuery, cuda }: Facts): string[] {
  const gpuSeen = gpuQuery.gpus.length > 0;
  const warnings = gpuBuildRow(rows)?.found || gpuSeen ? cudaWarnings(cuda, gpuSeen) : [];
  if (gpuSeen && cuda.ldconfigRead && !cuda.driverLibrary.found) {
    warnings.push('An NVIDIA GPU is seen, but the driver library libcuda.so.1 is not found: TensorFlow cannot reach the GPU.');
  }
  return warnings;
}

function ptxWarnings({ firstGpu, computeCapability, env }: Facts): string[] {
  if (!firstGpu || !computeCapability || !needsPtxJit(computeCapability)) return [];
  const warnings = [ptxJitWarning(firstGpu.name, computeCapability)];
  if (env.CUDA_CACHE_DISABLE === '1') {
    warnings.push(
      `CUDA_CACHE_DISABLE=1 is set: the kernels compiled for ${smName(computeCapability)} are thrown away, so every start is slow.`,
    );
  }
  return warnings;
}

function wasmThreadsNotes({ rows }: Facts): string[] {
  const wasmRow = rows.find((r) => r.name === 'wasm');
  if (!wasmRow?.computesOn?.includes('threads')) return [];
  return [`wasm trains CNNs on the threads shown and MLPs on one thread; ${WASM_THREADS_ENV}=N (1-4) sets it for every net.`];
}

function gpuEnvNotes({ rows, gpuQuery, env, computeCapability }: Facts): string[] {
  if (gpuQuery.gpus.length === 0 && !gpuBuildRow(rows)?.found) return [];
  const notes: string[] = [];
  if (env.TF_FORCE_GPU_ALLOW_GROWTH === null) {
    notes.push(
      'TF_FORCE_GPU_ALLOW_GROWTH is not set: resnet-tutor sets it to true for itself, since TensorFlow ' +
        'otherwise takes all GPU memory; export TF_FORCE_GPU_ALLOW_GROWTH=true for other TensorFlow programs.',
    );
  } else if (env.TF_FORCE_GPU_ALLOW_GROWTH !== 'true') {
    notes.push(
      `TF_FORCE_GPU_ALLOW_GROWTH=${env.TF_FORCE_GPU_ALLOW_GROWTH}: TensorFlow will take all GPU memory, so runs cannot share the GPU.`,
    );
  }
  if (computeCapability && needsPtxJit(computeCapability) && env.CUDA_CACHE_MAXSIZE === null) {
    notes.push(`CUDA_CACHE_MAXSIZE is not set: resnet-tutor sets it to ${CUDA_CACHE_SIZE} for itself so compiled kernels stay cached.`);
  }
  return notes;
}

function webGpuNotes({ rows }: Facts): string[] {
  const webgpuRow = rows.find((r) => r.name === 'webgpu');
  if (!webgpuRow?.computesOn?.startsWith('CPU (WebGPU software')) return [];
  return ['WebGPU finds only a software adapter here: `--backend auto` skips it (slower than wasm); `--backend webgpu` uses it.'];
}

function probeNotes({ cuda, p }: Facts): string[] {
  const notes: string[] = [];
  if (!cuda.ldconfigRead) notes.push('`ldconfig -p` could not be run: only LD_LIBRARY_PATH was searched for libraries.');
  if (nodeMajor(p.nodeVersion) >= 23) notes.push('The TensorFlow native builds were not loaded because of the Node version.');
  return notes;
}

/** Gathers the doctor report. Loads backends (so call it in its own process or worker), prints nothing. */
export async function diagnose(probes: Partial<DoctorProbes> = {}, options: DiagnoseOptions = {}): Promise<DoctorReport> {
  const p: DoctorProbes = { ...defaultProbes, ...probes };
  // Snapshot the environment first: loading the GPU build sets defaults in process.env.
  const env = snapshotEnv(p.env);
  const nodeWarning = nodeVersionProblem(p.nodeVersion) ?? null;
  const packages = packageVersions(p);
  const [gpuQuery, ldconfigText] = await Promise.all([queryGpus(p.runCommand, p.files), readLdconfig(p.runCommand)]);
  const cuda = cudaReport(ldconfigText, ldLibraryPathListings(p));
  const firstGpu = firstVisibleGpu(gpuQuery.gpus, p.env.CUDA_VISIBLE_DEVICES);
  const computeCapability = firstGpu?.computeCapability ?? null;
  const { rows, wasmWarnings } = await backendRows(p, options);

  const facts: Facts = { p, env, rows, gpuQuery, cuda, firstGpu, computeCapability };
  const warnings = [
    ...wasmWarnings,
    ...(nodeWarning ? [nodeWarning] : []),
    ...gpuBuildOnCpuWarnings(facts),
    ...cudaLibraryWarnings(facts),
    ...ptxWarnings(facts),
  ];
  const notes = [...wasmThreadsNotes(facts), ...gpuEnvNotes(facts), ...webGpuNotes(facts), ...probeNotes(facts)];

  return {
    node: { version: p.nodeVersion, ok: nodeWarning === null, warning: nodeWarning },
    packages,
    backends: rows,
    gpu: {
      source: gpuQuery.source,
      gpus: gpuQuery.gpus,
      driverVersion: gpuQuery.driverVersion ?? null,
      computeCapability,
      raw: gpuQuery.raw ?? null,
    },
    cuda,
    env,
    warnings,
    notes,
    best: bestBackend(rows, gpuQuery.gpus),
  };
}
