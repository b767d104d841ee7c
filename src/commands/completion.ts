import type { CommandSpec } from './types.js';
import { EXIT } from '../util/errors.js';

import type { CompletionShell } from './impl/completion.js';

export const COMPLETION_SHELLS: readonly CompletionShell[] = ['bash', 'zsh'];

interface CompletionArgs {
  readonly shell?: string;
}

/**
 * `resnet-tutor completion`: prints a bash or zsh script that completes commands, flags and flag
 * values by asking `resnet-tutor --get-yargs-completions ...` (which yargs answers from the command
 * table, so the completions never go stale).
 */
export const completion: CommandSpec<CompletionArgs> = {
  command: 'completion',
  describe: 'Print a bash or zsh script that completes commands and options on Tab',
  builder: (y) =>
    y
      .option('shell', {
        type: 'string',
        choices: COMPLETION_SHELLS,
        describe: 'Shell to write for (default: zsh when $SHELL is zsh, else bash)',
      })
      .example('$0 completion >> ~/.bashrc', 'Tab-complete resnet-tutor in every new bash')
      .example('$0 completion --shell zsh >> ~/.zshrc', 'the same for zsh')
      .example('source <($0 completion)', 'try it in this shell only'),
  run: async (args) => {
    const { completionScript } = await import('./impl/completion.js');
    const shell: CompletionShell =
      args.shell === 'zsh' || args.shell === 'bash' ? args.shell : /zsh/.test(process.env.SHELL ?? '') ? 'zsh' : 'bash';
    process.stdout.write(completionScript(shell));
    return EXIT.ok;
  },
};
