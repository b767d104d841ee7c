/**
 * User settings: the defaults of a few flags, kept in one small JSON file so a student types
 * `resnet-tutor config set runDir /scratch/me/runs` once instead of `--run-dir` on every command.
 *
 * The file is `settings.json` in the user's config folder (`~/.config/resnet-tutor/` on Linux,
 * `$XDG_CONFIG_HOME/resnet-tutor/` when that is set, `~/Library/Preferences/resnet-tutor/` on macOS,
 * `%APPDATA%\resnet-tutor\Config\` on Windows), beside the lesson progress file. The environment
 * variable RESNET_TUTOR_CONFIG_DIR moves that folder (tests, shared lab accounts). Flags always win
 * over settings; settings win over the built-in defaults.
 *
 * The file is a conf store: conf validates writes against SETTINGS_SCHEMA, fills in its defaults,
 * and writes it (`config set`, `config reset`). Reading is on the path of every command's `--help`,
 * so it is a plain `readFileSync` checked against the same schema (`matchesSchema`, for the few
 * keywords it uses); conf (with ajv, about 200 ms to load and compile) is imported only by
 * `openSettingsStore`. A file that is not JSON, or holds a value of the wrong type, is reported in
 * one line and moved to `settings.json.corrupt-<time>` (a missing file means the defaults); it never
 * stops a command. See store-file.ts for what conf does not do.
 */
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type Conf from 'conf';
import { UserError } from '../util/errors.js';
import { backUpStoreFile, configDir as storesDir, confOptions, unusableStore } from './store-file.js';

export { CONFIG_DIR_ENV, PROJECT_NAME } from './store-file.js';
export const SETTINGS_FILE_NAME = 'settings';

/** `--backend` values; `auto` tries node-gpu, webgpu (hardware adapter only), node, wasm, cpu in that order. */
export const BACKEND_CHOICES = ['auto', 'node-gpu', 'webgpu', 'node', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export interface Settings {
  /** Default of `--backend` for train, compare (and probe, learn). */
  readonly backend: BackendChoice;
  /** Default of `--run-dir`: the folder that holds run folders (relative paths: to the current folder). */
  readonly runDir: string;
  /** Default of `--color`: colours in the dashboards. */
  readonly color: boolean;
  /** Default of `--lessons`: a folder of lesson files; '' means the lessons shipped with resnet-tutor. */
  readonly lessons: string;
}

export type SettingKey = keyof Settings;
export const SETTING_KEYS: readonly SettingKey[] = ['backend', 'runDir', 'color', 'lessons'];

export const DEFAULT_SETTINGS: Settings = { backend: 'auto', runDir: 'checkpoints', color: true, lessons: '' };

/** What `config set` and `config list` say about each key. */
export interface SettingInfo {
  readonly key: SettingKey;
  /** The flag whose default it sets. */
  readonly flag: string;
  readonly describe: string;
  /** The values `config set` accepts, in words. */
  readonly allowed: string;
  /** JSON schema of the value (conf validates writes with it). */
  readonly schema: Record<string, unknown>;
}

export const SETTING_INFO: Readonly<Record<SettingKey, SettingInfo>> = {
  backend: {
    key: 'backend',
    flag: '--backend',
    describe: 'Compute backend for train and compare; auto tries node-gpu, webgpu, node, wasm, cpu',
    allowed: BACKEND_CHOICES.join(', '),
    schema: { type: 'string', enum: [...BACKEND_CHOICES], default: DEFAULT_SETTINGS.backend },
  },
  runDir: {
    key: 'runDir',
    flag: '--run-dir',
    describe: 'Folder that holds run folders (a relative path is taken from the folder you run in)',
    allowed: 'a folder path, e.g. /scratch/$USER/runs (it is created when the first run starts)',
    schema: { type: 'string', minLength: 1, default: DEFAULT_SETTINGS.runDir },
  },
  color: {
    key: 'color',
    flag: '--color',
    describe: 'Colours in the dashboards (NO_COLOR in the environment turns them off too)',
    allowed: 'true or false (also yes/no, on/off, 1/0)',
    schema: { type: 'boolean', default: DEFAULT_SETTINGS.color },
  },
  lessons: {
    key: 'lessons',
    flag: '--lessons',
    describe: 'Folder of lesson files for learn and lessons; empty: the lessons shipped with resnet-tutor',
    allowed: "an existing folder of lesson files, or '' for the built-in lessons",
    schema: { type: 'string', default: DEFAULT_SETTINGS.lessons },
  },
};

/** The conf schema (one JSON schema per key, with its default). */
export const SETTINGS_SCHEMA: Record<SettingKey, Record<string, unknown>> = {
  backend: SETTING_INFO.backend.schema,
  runDir: SETTING_INFO.runDir.schema,
  color: SETTING_INFO.color.schema,
  lessons: SETTING_INFO.lessons.schema,
};

export interface SettingsOptions {
  /** Folder of the settings file (default: RESNET_TUTOR_CONFIG_DIR, else the user's config folder). */
  readonly cwd?: string;
  /** For tests: the clock (names the backup of a corrupt file). */
  readonly now?: () => Date;
}

/** The folder that holds settings.json (and progress.json). */
export function configDir(options: SettingsOptions = {}): string {
  return storesDir(options.cwd);
}

/** The settings file (it may not exist yet: then every setting has its default). */
export function settingsPath(options: SettingsOptions = {}): string {
  return join(configDir(options), `${SETTINGS_FILE_NAME}.json`);
}

export interface LoadedSettings {
  readonly values: Settings;
  readonly path: string;
  /** Keys whose value comes from the file rather than the built-in default. */
  readonly fromFile: ReadonlySet<SettingKey>;
  /** Set when the file could not be used: one line that says what happened and where it went. */
  readonly recovered: string | null;
}

/** Whether `value` is allowed for `key`: the schema conf validates writes with, read here without ajv. */
export function isValidSetting(key: SettingKey, value: unknown): boolean {
  return matchesSchema(SETTINGS_SCHEMA[key], value);
}

/** The JSON-schema keywords SETTING_INFO uses (type string/boolean, enum, minLength); a new one must be added here. */
function matchesSchema(schema: Record<string, unknown>, value: unknown): boolean {
  if (schema.type !== undefined && typeof value !== schema.type) return false;
  if (Array.isArray(schema.enum) && !(schema.enum as unknown[]).includes(value)) return false;
  if (typeof schema.minLength === 'number' && !(typeof value === 'string' && value.length >= schema.minLength)) return false;
  return true;
}

/** Why parsed file content is not a settings file; null when it is. Unknown keys are kept (a newer version's). */
function problemWith(data: unknown): string | null {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'not a JSON object';
  const record = data as Record<string, unknown>;
  for (const key of SETTING_KEYS) {
    if (key in record && !isValidSetting(key, record[key])) {
      return `${key} is ${JSON.stringify(record[key])}; allowed: ${SETTING_INFO[key].allowed}`;
    }
  }
  return null;
}

/**
 * Reads the settings file; never throws. A corrupt file is moved aside and replaced with the
 * defaults, and `recovered` says so (the caller decides where to print it).
 */
export function loadSettings(options: SettingsOptions = {}): LoadedSettings {
  const path = settingsPath(options);
  const defaults = { values: DEFAULT_SETTINGS, path, fromFile: new Set<SettingKey>() };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { ...defaults, recovered: null };
    return {
      ...defaults,
      recovered: `resnet-tutor: cannot read the settings file ${path} (${(err as Error).message}); using the defaults.`,
    };
  }
  let data: unknown;
  let why: string | null;
  try {
    data = JSON.parse(text);
    why = problemWith(data);
  } catch (err) {
    why = `not valid JSON: ${(err as Error).message}`;
  }
  if (why !== null) return { ...defaults, recovered: repair(path, why, options.now ?? (() => new Date())) };
  const record = data as Record<string, unknown>;
  const fromFile = new Set(SETTING_KEYS.filter((k) => k in record));
  return { values: { ...DEFAULT_SETTINGS, ...pick(record) }, path, fromFile, recovered: null };
}

function pick(record: Record<string, unknown>): Partial<Settings> {
  const out: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) if (key in record) out[key] = record[key];
  return out as Partial<Settings>;
}

/**
 * Moves a corrupt file to `<file>.corrupt-<time>`; returns the line to print. No file is written in
 * its place: a missing file means the defaults, and conf writes one at the next `config set`.
 */
function repair(path: string, why: string, now: () => Date): string {
  let backup: string;
  try {
    backup = backUpStoreFile(path, 'move', now);
  } catch (err) {
    return `resnet-tutor: the settings file ${path} is unusable (${why}) and could not be moved aside (${(err as Error).message}); using the defaults until it is fixed or removed.`;
  }
  return `resnet-tutor: the settings file ${path} was unusable (${why}); it was moved to ${backup} and the defaults are used. See \`resnet-tutor config list\`.`;
}

let cached: LoadedSettings | null = null;

/**
 * The settings of this process, read once: what the CLI uses as flag defaults. A corrupt file is
 * reported here, once, on stderr. The `learn` command and anything else with a settings-backed flag
 * should take its default from here.
 */
export function settingsDefaults(): Settings {
  return loadedSettings().values;
}

/** `settingsDefaults()` with where each value came from (for `--help` texts). */
export function loadedSettings(): LoadedSettings {
  if (cached) return cached;
  cached = loadSettings();
  if (cached.recovered) process.stderr.write(`${cached.recovered}\n`);
  return cached;
}

/** For tests: forget the cached settings. */
export function clearSettingsCache(): void {
  cached = null;
}

/**
 * The yargs `default` (and, when the value comes from the settings file, a `defaultDescription` that
 * says so) for the flag of `key`. An empty `lessons` setting gives no default (the built-in lessons).
 */
export function flagDefault(key: 'lessons'): { default?: string; defaultDescription?: string };
export function flagDefault<K extends Exclude<SettingKey, 'lessons'>>(key: K): { default: Settings[K]; defaultDescription?: string };
export function flagDefault<K extends SettingKey>(key: K): { default?: Settings[K]; defaultDescription?: string } {
  const loaded = loadedSettings();
  const value = loaded.values[key];
  if (key === 'lessons' && value === '') return {};
  if (!loaded.fromFile.has(key) || value === DEFAULT_SETTINGS[key]) return { default: value };
  return { default: value, defaultDescription: `${JSON.stringify(value)}, from config` };
}

/** Parses the text given to `config set <key> <value>`; a UserError says what is allowed. */
export function parseSettingValue(key: SettingKey, text: string, cwd = process.cwd()): Settings[SettingKey] {
  const bad = (why: string): UserError =>
    new UserError(
      `${why} Allowed for ${key}: ${SETTING_INFO[key].allowed}. Example: \`resnet-tutor config set ${key} ${EXAMPLE_VALUES[key]}\`.`,
    );
  switch (key) {
    case 'backend': {
      const v = text.trim().toLowerCase();
      if (!(BACKEND_CHOICES as readonly string[]).includes(v)) throw bad(`"${text}" is not a backend.`);
      return v as BackendChoice;
    }
    case 'runDir': {
      if (text.trim() === '') throw bad('The run folder cannot be empty.');
      return text;
    }
    case 'color': {
      const v = text.trim().toLowerCase();
      if (['true', 'yes', 'on', '1'].includes(v)) return true;
      if (['false', 'no', 'off', '0'].includes(v)) return false;
      throw bad(`"${text}" is not true or false.`);
    }
    case 'lessons': {
      if (text.trim() === '') return '';
      const dir = resolve(cwd, text);
      let isDir = false;
      try {
        isDir = statSync(dir).isDirectory();
      } catch {
        throw bad(`There is no folder ${dir}.`);
      }
      if (!isDir) throw bad(`${dir} is a file, not a folder.`);
      return dir;
    }
  }
}

const EXAMPLE_VALUES: Readonly<Record<SettingKey, string>> = {
  backend: 'wasm',
  runDir: '/scratch/$USER/runs',
  color: 'false',
  lessons: 'my-course',
};

/** Accepts the key as written in the file (runDir) or as its flag (run-dir, --run-dir). */
export function settingKey(name: string): SettingKey {
  const bare = name.replace(/^--/, '');
  const camel = bare.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  const key = SETTING_KEYS.find((k) => k === camel || k.toLowerCase() === camel.toLowerCase());
  if (!key) {
    throw new UserError(
      `There is no setting "${name}". Settings: ${SETTING_KEYS.join(', ')}. Run \`resnet-tutor config list\` to see them with their values.`,
    );
  }
  return key;
}

/**
 * The settings file as a conf store, for writing (`config set`, `config reset`). Loads conf only now.
 * A corrupt file is repaired first (conf would throw on it); `recovered` says so.
 */
export async function openSettingsStore(options: SettingsOptions = {}): Promise<{ store: Conf<Settings>; recovered: string | null }> {
  const { recovered } = loadSettings(options);
  const { default: ConfClass } = await import('conf');
  const dir = configDir(options);
  try {
    const store = new ConfClass<Settings>({ ...confOptions(SETTINGS_FILE_NAME, dir), schema: SETTINGS_SCHEMA as never });
    return { store, recovered };
  } catch (err) {
    throw unusableStore(err, 'Settings', dir, settingsPath(options));
  }
}
