import { chmodSync, existsSync, lstatSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupPlan } from '../../src/commands/impl/gpu-setup.js';
import { planGpuEnvironment, REEXEC_ENV } from '../../src/platform/gpu-env.js';
import { cudaLibraryDirs, locateNative, nativeDir, toolDataHome } from '../../src/platform/native-home.js';
import { UserError } from '../../src/util/errors.js';
import { ensureBuilt, runCli, tempDir } from '../helpers/cli.js';

/**
 * `gpu setup` with a fake `npm` and `python3` first on PATH (no registry download of libtensorflow
 * and no PyPI here): the fakes lay out what the real ones would (a tfjs-node-gpu package whose native
 * library is missing, a venv with nvidia/<part>/lib folders), and the real resnet-tutor must then find
 * them on its own: the per-user package, and the libraries on the engine's LD_LIBRARY_PATH.
 */
function fakeTools(bin: string): void {
  mkdirSync(bin, { recursive: true });
  writeFileSync(
    join(bin, 'npm'),
    `#!/bin/sh
# args: install --prefix DIR ... PKG@VERSION
dir="$3"; pkg=@tensorflow/tfjs-node-gpu
mkdir -p "$dir/node_modules/$pkg" "$dir/node_modules/@tensorflow/tfjs-core"
echo '{"name":"@tensorflow/tfjs-node-gpu","version":"4.22.0","main":"index.js"}' > "$dir/node_modules/$pkg/package.json"
echo 'throw new Error("libtensorflow.so.2: cannot open shared object file: No such file or directory");' > "$dir/node_modules/$pkg/index.js"
echo '{"name":"@tensorflow/tfjs-core","version":"0.0.1-own-copy"}' > "$dir/node_modules/@tensorflow/tfjs-core/package.json"
echo "$@" > "$dir/npm-args"
`,
  );
  // The backslashes are the shell's: the heredoc writes a pip script that must keep its own $ signs.
  /* eslint-disable no-useless-escape */
  writeFileSync(
    join(bin, 'python3'),
    `#!/bin/sh
# args: -m venv DIR
venv="$3"; mkdir -p "$venv/bin"
cat > "$venv/bin/pip" <<PIP
#!/bin/sh
for part in cuda_runtime:libcudart.so.11.0 cudnn:libcudnn.so.8 cublas:libcublas.so.11; do
  d="$venv/lib/python3.11/site-packages/nvidia/\\\${part%%:*}/lib"; mkdir -p "\\\$d"; touch "\\\$d/\\\${part#*:}"
done
echo "\\\$@" > "$venv/pip-args"
PIP
chmod +x "$venv/bin/pip"
`,
  );
  /* eslint-enable no-useless-escape */
  chmodSync(join(bin, 'npm'), 0o755);
  chmodSync(join(bin, 'python3'), 0o755);
}

describe('resnet-tutor gpu setup and the engine library path', () => {
  beforeAll(() => ensureBuilt());

  it('installs into the per-user folder, links our tfjs, and every later command runs with the CUDA libraries', () => {
    const root = tempDir('rt-gpu-');
    const bin = join(root, 'bin');
    fakeTools(bin);
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, XDG_DATA_HOME: join(root, 'data'), LD_LIBRARY_PATH: '' };
    const setup = runCli(['gpu', 'setup'], { env, timeoutMs: 60_000 });
    expect(setup.stderr).toBe('');
    expect(setup.code).toBe(0);
    const native = join(root, 'data', 'resnet-tutor', 'native');
    const venv = join(root, 'data', 'resnet-tutor', 'cuda11');
    expect(existsSync(join(native, 'package.json'))).toBe(true);
    // The fake npm's own tfjs-core copy was replaced by a link to ours.
    const core = join(native, 'node_modules', '@tensorflow', 'tfjs-core');
    expect(lstatSync(core).isSymbolicLink()).toBe(true);
    const ours = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-core/package.json'));
    expect(realpathSync(core)).toBe(realpathSync(ours));
    expect(cudaLibraryDirs(venv)).toHaveLength(3);

    const doctor = runCli(['doctor', '--json'], { env, timeoutMs: 120_000 });
    expect(doctor.code).toBe(0);
    const report = JSON.parse(doctor.stdout) as {
      env: Record<string, string | null>;
      cuda: { libraries: { name: string; found: boolean; via: string | null }[] };
      backends: { name: string; found: boolean; whyNot: string | null }[];
    };
    // The CLI re-ran itself once with the venv's library folders first on LD_LIBRARY_PATH.
    for (const d of cudaLibraryDirs(venv)) expect(report.env.LD_LIBRARY_PATH?.split(':')).toContain(d);
    const cudnn = report.cuda.libraries.find((l) => l.name === 'libcudnn.so.8')!;
    expect(cudnn).toMatchObject({ found: true, via: 'LD_LIBRARY_PATH' });
    const gpuRow = report.backends.find((b) => b.name === 'node-gpu')!;
    expect(gpuRow.found).toBe(true);
    expect(gpuRow.whyNot).toMatch(/libtensorflow\.so\.2 is missing/);
  });

  it('plans: defaults, re-exec only when the library folders are missing and only once', () => {
    const dirs = ['/x/nvidia/cudnn/lib', '/x/nvidia/cublas/lib'];
    const fresh = planGpuEnvironment(['train'], { LD_LIBRARY_PATH: '/opt/lib' }, dirs);
    expect(fresh.reexec).toBe(true);
    expect(fresh.set.LD_LIBRARY_PATH).toBe('/x/nvidia/cudnn/lib:/x/nvidia/cublas/lib:/opt/lib');
    expect(fresh.set).toMatchObject({ EGL_PLATFORM: 'surfaceless', TF_FORCE_GPU_ALLOW_GROWTH: 'true', CUDA_CACHE_MAXSIZE: '4294967296' });
    expect(planGpuEnvironment(['train'], { [REEXEC_ENV]: '1' }, dirs).reexec).toBe(false);
    expect(planGpuEnvironment(['train'], { LD_LIBRARY_PATH: dirs.join(':') }, dirs).reexec).toBe(false);
    expect(planGpuEnvironment(['lessons'], {}, dirs).reexec).toBe(false);
    expect(planGpuEnvironment(['train', '--help'], {}, dirs).reexec).toBe(false);
    expect(planGpuEnvironment(['train'], {}, []).reexec).toBe(false);
    // A user's own value wins.
    expect(planGpuEnvironment(['train'], { EGL_PLATFORM: 'x11' }, []).set.EGL_PLATFORM).toBeUndefined();
  });

  it('per-user folders follow XDG_DATA_HOME, and nothing is found where nothing was installed', () => {
    expect(toolDataHome({ XDG_DATA_HOME: '/d' }, '/home/u')).toBe('/d/resnet-tutor');
    expect(toolDataHome({}, '/home/u')).toBe('/home/u/.local/share/resnet-tutor');
    expect(nativeDir({ RESNET_TUTOR_NATIVE_DIR: '/n' })).toBe('/n');
    expect(locateNative('@tensorflow/tfjs-node-gpu', { RESNET_TUTOR_NATIVE_DIR: tempDir('rt-empty-') })).toBeNull();
  });

  it('setup refuses the TensorFlow route on Node 23+ and names the WebGPU route', () => {
    expect(() => setupPlan({ cpu: false, cuda: true, python: 'python3' }, {}, '24.1.0')).toThrow(UserError);
    expect(() => setupPlan({ cpu: false, cuda: true, python: 'python3' }, {}, '24.1.0')).toThrow(/--backend webgpu/);
    const plan = setupPlan({ cpu: false, cuda: true, python: 'python3' }, { XDG_DATA_HOME: '/d' }, '22.3.0');
    expect(plan.map((s) => s.display).join('\n')).toMatch(/nvidia-cudnn-cu11<9/);
    expect(plan.map((s) => s.display).join('\n')).toMatch(/--prefix \/d\/resnet-tutor\/native/);
  });
});
