/**
 * The steps of `resnet-tutor gpu setup` (a pure plan, then a runner). No tfjs import.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../util/errors.js';
import { cudaDir, linkSharedTfjs, nativeDir, nativeInstallArgs, type Env } from '../../platform/native-home.js';

/** The CUDA 11.8 user-space wheels libtensorflow 2.9.1 opens; cuDNN below 9 (its newest is 9, which TF 2.9 cannot use). */
export const CUDA11_WHEELS = [
  // The -cu11 wheels are CUDA 11 by name; PyPI could not be reached from the machine this was written
  // on, so only the one known trap is pinned.
  'nvidia-cuda-runtime-cu11',
  'nvidia-cublas-cu11',
  'nvidia-cufft-cu11',
  'nvidia-curand-cu11',
  'nvidia-cusolver-cu11',
  'nvidia-cusparse-cu11',
  'nvidia-cudnn-cu11<9',
];

export interface SetupStep {
  readonly what: string;
  /** A program and its arguments, or a function run here. */
  readonly run: { file: string; args: string[] } | (() => void);
  readonly display: string;
}

export function setupPlan(options: { cpu: boolean; cuda: boolean; python: string }, env: Env, nodeVersion: string): SetupStep[] {
  const major = Number.parseInt(nodeVersion.split('.')[0] ?? '0', 10);
  if (major >= 23) {
    throw new UserError(
      `The TensorFlow route does not work on Node ${nodeVersion}: tfjs-node 4.22 calls util.isNullOrUndefined, which Node 23 removed. ` +
        'Use the WebGPU route instead (`resnet-tutor train --backend webgpu`, any Node version, needs a Vulkan driver but no CUDA), ' +
        'or run `resnet-tutor gpu setup` under Node 20 or 22 (e.g. `nvm use 22`).',
    );
  }
  const pkg = options.cpu ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu';
  const dir = nativeDir(env);
  const steps: SetupStep[] = [
    {
      what: `a private npm folder for ${pkg} (no resnet-tutor install removes it)`,
      run: () => {
        mkdirSync(dir, { recursive: true });
        const manifest = join(dir, 'package.json');
        if (!existsSync(manifest)) writeFileSync(manifest, `${JSON.stringify({ name: 'resnet-tutor-native', private: true }, null, 2)}\n`);
      },
      display: `mkdir -p ${dir}  # with a package.json`,
    },
    {
      what: `install ${pkg} (its install script downloads libtensorflow 2.9.1 from storage.googleapis.com)`,
      run: { file: 'npm', args: nativeInstallArgs(pkg, dir) },
      display: `npm ${nativeInstallArgs(pkg, dir).join(' ')}`,
    },
    {
      what: "link its @tensorflow packages to resnet-tutor's own (one tfjs-core per process)",
      run: () => void linkSharedTfjs(dir),
      display: `# links ${dir}/node_modules/@tensorflow/tfjs{,-core,-backend-cpu,...} to this resnet-tutor's`,
    },
  ];
  if (options.cuda) {
    const venv = cudaDir(env);
    const pip = join(venv, 'bin', 'pip');
    steps.push(
      {
        what: 'a Python venv for the CUDA 11.8 libraries',
        run: { file: options.python, args: ['-m', 'venv', venv] },
        display: `${options.python} -m venv ${venv}`,
      },
      {
        what: 'the CUDA 11.8 and cuDNN 8 user-space libraries (about 3 GB; no root, no driver change)',
        run: { file: pip, args: ['install', '--no-cache-dir', ...CUDA11_WHEELS] },
        display: `${pip} install --no-cache-dir ${CUDA11_WHEELS.map((w) => `'${w}'`).join(' ')}`,
      },
    );
  }
  return steps;
}

/** Runs the steps in order; returns the failure message, or null when all succeeded. */
export function runSetup(steps: readonly SetupStep[], say: (line: string) => void): string | null {
  for (const step of steps) {
    say(`resnet-tutor gpu setup: ${step.what}\n  ${step.display}`);
    if (typeof step.run === 'function') {
      step.run();
      continue;
    }
    const r = spawnSync(step.run.file, step.run.args, { stdio: 'inherit' });
    if (r.error || r.status !== 0) {
      const why = r.error ? r.error.message : `exit code ${r.status ?? r.signal}`;
      return `gpu setup failed at "${step.what}" (\`${step.display}\`: ${why}). Fix that and run \`resnet-tutor gpu setup\` again; finished steps are kept.`;
    }
  }
  say('Done. Every resnet-tutor command now starts its engine with these libraries (no export needed); check with `resnet-tutor doctor`.');
  return null;
}
