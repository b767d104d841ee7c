import type { CommandSpec } from './types.js';
import { UserError } from '../util/errors.js';
import { CONFIG_DIR_ENV, settingsPath } from '../stores/settings.js';

import type { ConfigAction } from './impl/config.js';

export const CONFIG_ACTIONS: readonly ConfigAction[] = ['get', 'set', 'list', 'reset'];

interface ConfigArgs {
  readonly action: string;
  readonly key?: string;
  readonly value?: string;
  readonly yes?: boolean;
  readonly json?: boolean;
}

/** `resnet-tutor config`: the settings that give flags their defaults (settings.json). */
export const config: CommandSpec<ConfigArgs> = {
  command: 'config [action] [key] [value]',
  describe: 'Show or change your settings: the defaults of --backend, --run-dir, --color and --lessons',
  builder: (y) =>
    y
      .positional('action', {
        type: 'string',
        choices: CONFIG_ACTIONS,
        default: 'list',
        describe: 'get <key> | set <key> <value> | list | reset',
      })
      .positional('key', { type: 'string', describe: 'backend | runDir | color | lessons (run-dir works too)' })
      .positional('value', { type: 'string', describe: 'The new value, for set' })
      .option('yes', { type: 'boolean', describe: 'With reset: do not ask (needed when the input is not a terminal)' })
      .option('json', { type: 'boolean', describe: 'With list and get: print JSON' })
      .epilogue(
        `Flags always win over settings. The settings file here: ${settingsPath()} ` +
          `(set ${CONFIG_DIR_ENV} to keep it, and lesson progress, in another folder).`,
      )
      .example('$0 config list', 'every setting: value, default, and where the file is')
      .example('$0 config set runDir /scratch/$USER/runs', 'runs, report, watch, train ... use it without --run-dir')
      .example('$0 config set backend wasm', 'train on WebAssembly unless --backend says otherwise')
      .example('$0 config get runDir', 'the value alone, for scripts')
      .example('$0 config reset --yes', 'back to the defaults without being asked'),
  run: async (args) => {
    const action = args.action as ConfigAction;
    const key = args.key === undefined ? undefined : String(args.key);
    const value = args.value === undefined ? undefined : String(args.value);
    if ((action === 'get' || action === 'set') && key === undefined) {
      throw new UserError(
        `\`config ${action}\` needs a setting name: backend, runDir, color or lessons. Example: \`resnet-tutor config ${action} runDir${action === 'set' ? ' /scratch/runs' : ''}\`.`,
      );
    }
    if (action === 'set' && value === undefined) {
      throw new UserError(`\`config set ${key}\` needs a value. Run \`resnet-tutor config list\` to see what each setting takes.`);
    }
    if ((action === 'list' || action === 'reset') && key !== undefined) {
      throw new UserError(`\`config ${action}\` takes no setting name (got "${key}"). Did you mean \`resnet-tutor config get ${key}\`?`);
    }
    if (action === 'get' && value !== undefined) {
      throw new UserError(`\`config get\` takes one setting name. To change it: \`resnet-tutor config set ${key} ${value}\`.`);
    }
    const { runConfigCommand } = await import('./impl/config.js');
    return runConfigCommand({ action, key, value, yes: Boolean(args.yes), json: Boolean(args.json) });
  },
};
