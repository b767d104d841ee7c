import type { CommandSpec } from './types.js';
import { EXIT, UserError } from '../util/errors.js';

interface GpuArgs {
  readonly action: string;
  readonly cpu: boolean;
  readonly cuda: boolean;
  readonly dryRun: boolean;
  readonly python: string;
}

/**
 * `resnet-tutor gpu setup`: the TensorFlow route, installed into per-user folders that no
 * `npm install` touches (see platform/native-home.ts), with the CUDA 11.8 / cuDNN 8 user-space
 * libraries from pip wheels in a venv: no root. Every later command finds them by itself.
 */
export const gpu: CommandSpec<GpuArgs> = {
  command: 'gpu <action>',
  describe: 'Set up the TensorFlow GPU route without root (gpu setup), or show where it lives (gpu paths)',
  builder: (yargs) =>
    yargs
      .positional('action', { type: 'string', choices: ['setup', 'paths'], describe: 'setup: install; paths: show the folders' })
      .option('cpu', { type: 'boolean', default: false, describe: 'Install the TensorFlow CPU build (tfjs-node) instead of the GPU build' })
      .option('cuda', {
        type: 'boolean',
        default: true,
        describe: 'Install the CUDA 11.8 / cuDNN 8 pip wheels (--no-cuda: the system has them)',
      })
      .option('dry-run', { type: 'boolean', default: false, describe: 'Print the commands without running them' })
      .option('python', { type: 'string', default: 'python3', describe: 'The Python (3.8-3.12) that makes the CUDA venv' })
      .example('$0 gpu setup', 'tfjs-node-gpu 4.22 and CUDA 11.8 libraries into ~/.local/share/resnet-tutor')
      .example('$0 gpu setup --dry-run', 'what it would run') as never,
  run: async (args) => {
    const { cudaDir, cudaLibraryDirs, nativeDir } = await import('../platform/native-home.js');
    if (args.action === 'paths') {
      const libs = cudaLibraryDirs(cudaDir());
      process.stdout.write(
        `TensorFlow native builds: ${nativeDir()}\nCUDA 11.8 venv: ${cudaDir()}\n` +
          `CUDA library folders (put first on LD_LIBRARY_PATH of the engine): ${libs.length > 0 ? libs.join(':') : 'none yet'}\n`,
      );
      return EXIT.ok;
    }
    const { setupPlan, runSetup } = await import('./impl/gpu-setup.js');
    const plan = setupPlan({ cpu: args.cpu, cuda: args.cuda && !args.cpu, python: args.python }, process.env, process.versions.node);
    if (args.dryRun) {
      for (const step of plan) process.stdout.write(`# ${step.what}\n${step.display}\n`);
      return EXIT.ok;
    }
    const failed = runSetup(plan, (line) => process.stdout.write(`${line}\n`));
    if (failed) throw new UserError(failed);
    return EXIT.ok;
  },
};
