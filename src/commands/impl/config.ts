/**
 * `resnet-tutor config get|set|list|reset`: reads and writes settings.json (src/settings.ts).
 * Plain text, no escape codes; `--json` for scripts.
 */
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { EXIT } from '../../util/errors.js';
import {
  CONFIG_DIR_ENV,
  DEFAULT_SETTINGS,
  SETTING_INFO,
  SETTING_KEYS,
  loadSettings,
  openSettingsStore,
  parseSettingValue,
  settingKey,
  type SettingKey,
  type Settings,
} from '../../stores/settings.js';
import { confirm, defaultConsoleIo, type ConsoleIo } from '../../util/console-io.js';

/** The actions of `resnet-tutor config` (its command file lists them for yargs). */
export type ConfigAction = 'get' | 'set' | 'list' | 'reset';

export interface ConfigCommandOptions {
  readonly action: ConfigAction;
  readonly key?: string;
  readonly value?: string;
  readonly yes?: boolean;
  readonly json?: boolean;
  /** Folder of settings.json (tests); default RESNET_TUTOR_CONFIG_DIR or the user's config folder. */
  readonly configDir?: string;
  readonly io?: Partial<ConfigIo>;
}

/** The console the command talks to (tests pass their own). */
export type ConfigIo = ConsoleIo;

export const MESSAGES = {
  resetRefused:
    'Refusing to reset the settings without confirmation: the input is not a terminal. Run `resnet-tutor config reset --yes` to reset them anyway.',
  resetQuestion: (path: string) => `Reset every setting in ${path} to its default? [y/N] `,
  resetKept: 'Settings kept.',
  resetDone: (path: string) => `Settings reset to the defaults (${path}).`,
  saved: (key: SettingKey, shown: string, before: string, path: string) =>
    `${key} = ${shown}${before === shown ? ' (unchanged)' : ` (was ${before})`}. Saved in ${path}; a ${SETTING_INFO[key].flag} flag still wins.`,
  relativeRunDir: (dir: string) =>
    `Note: "${dir}" is a relative path, so each command looks for it in the folder you run it from. Give an absolute path to use one folder everywhere.`,
} as const;

const defaultIo: () => ConfigIo = defaultConsoleIo;

/** How a value reads in text output. */
export function showValue(key: SettingKey, value: Settings[SettingKey]): string {
  if (key === 'lessons' && value === '') return '(built-in)';
  return String(value);
}

/** Runs the command; returns the exit code. */
export async function runConfigCommand(opts: ConfigCommandOptions): Promise<number> {
  const io: ConfigIo = { ...defaultIo(), ...opts.io };
  const where = opts.configDir === undefined ? {} : { cwd: opts.configDir };
  switch (opts.action) {
    case 'list': {
      const loaded = loadSettings(where);
      if (loaded.recovered) io.err(`${loaded.recovered}\n`);
      io.out(
        opts.json
          ? `${JSON.stringify(listJson(loaded.path, loaded.values, loaded.fromFile), null, 2)}\n`
          : formatList(loaded.path, loaded.values),
      );
      return EXIT.ok;
    }
    case 'get': {
      const key = settingKey(opts.key ?? '');
      const loaded = loadSettings(where);
      if (loaded.recovered) io.err(`${loaded.recovered}\n`);
      const value = loaded.values[key];
      io.out(opts.json ? `${JSON.stringify(value)}\n` : `${String(value)}\n`);
      return EXIT.ok;
    }
    case 'set': {
      const key = settingKey(opts.key ?? '');
      const value = parseSettingValue(key, opts.value ?? '', io.cwd);
      const { store, recovered } = await openSettingsStore(where);
      if (recovered) io.err(`${recovered}\n`);
      const before = showValue(key, store.get(key));
      store.set(key, value as never);
      io.out(`${MESSAGES.saved(key, showValue(key, value), before, store.path)}\n`);
      if (key === 'runDir' && typeof value === 'string' && !isAbsolute(value)) {
        io.out(`${MESSAGES.relativeRunDir(value)}\n`);
      }
      return EXIT.ok;
    }
    case 'reset': {
      const { store, recovered } = await openSettingsStore(where);
      if (recovered) io.err(`${recovered}\n`);
      if (!(await confirm(io, opts.yes, MESSAGES.resetQuestion(store.path), MESSAGES.resetRefused))) {
        io.out(`${MESSAGES.resetKept}\n`);
        return EXIT.ok;
      }
      store.clear();
      io.out(`${MESSAGES.resetDone(store.path)}\n`);
      return EXIT.ok;
    }
  }
}

function listJson(path: string, values: Settings, fromFile: ReadonlySet<SettingKey>): unknown {
  return {
    file: path,
    settings: Object.fromEntries(
      SETTING_KEYS.map((k) => [
        k,
        { value: values[k], default: DEFAULT_SETTINGS[k], fromFile: fromFile.has(k), flag: SETTING_INFO[k].flag },
      ]),
    ),
  };
}

/** The `config list` table: key, value, default and the flag each one sets, then where the file is. */
export function formatList(path: string, values: Settings): string {
  const rows = [
    ['setting', 'value', 'default', 'flag'],
    ...SETTING_KEYS.map((k) => [k, showValue(k, values[k]), showValue(k, DEFAULT_SETTINGS[k]), SETTING_INFO[k].flag]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
  const changed = SETTING_KEYS.filter((k) => values[k] !== DEFAULT_SETTINGS[k]);
  return [
    ...lines,
    '',
    `Settings file: ${path}${existsSync(path) ? '' : ' (not created yet)'}`,
    changed.length === 0 ? 'Every setting has its default.' : `Changed from the default: ${changed.join(', ')}.`,
    `Flags win over settings. Change one with \`resnet-tutor config set <setting> <value>\`; ${CONFIG_DIR_ENV}=<folder> keeps the file elsewhere.`,
    '',
  ].join('\n');
}
