import type { CommandSpec } from './types.js';
import { BACKEND_OPTION_CHOICES } from './train-options.js';
import { flagDefault } from '../stores/settings.js';

export const resume: CommandSpec = {
  command: 'resume <run>',
  describe: 'Continue a run from its newest good checkpoint',
  builder: (y) =>
    y
      .positional('run', { type: 'string', describe: 'Run id, unique id prefix, or run folder path' })
      .option('run-dir', { type: 'string', ...flagDefault('runDir'), describe: 'Folder that holds run folders' })
      .option('backend', { type: 'string', choices: BACKEND_OPTION_CHOICES, describe: 'Backend (default: the one the run used)' })
      .option('headless', { type: 'boolean', describe: 'Print plain progress lines' })
      .option('json', { type: 'boolean', describe: 'Print JSON lines' })
      .option('color', { type: 'boolean', ...flagDefault('color'), describe: 'Colours in the dashboard (--no-color: none)' })
      .example('$0 resume 20261128-1830', 'continue the run whose id starts with that')
      .example('$0 resume checkpoints/20261128-183012-mlp-residual-bn-d8', 'by path'),
  run: async (args) => {
    const { resumeTraining } = await import('./impl/launch.js');
    return resumeTraining({
      run: String(args.run),
      runRoot: String(args.runDir ?? 'checkpoints'),
      backend: args.backend === undefined ? undefined : String(args.backend),
      json: Boolean(args.json),
      headless: Boolean(args.headless),
      noColor: args.color === false,
    });
  },
};
