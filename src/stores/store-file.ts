/**
 * What the two stores (settings.json and progress.json, one conf store per kind of data) share: the
 * folder they live in, the conf options they open with, the one routine that moves a corrupt file
 * aside, and the error for a store path that cannot be a file.
 *
 * conf does the rest: the JSON format, schema validation with defaults (settings), reading and the
 * atomic, fsynced write (its `atomically` writer: a temporary file renamed over the old one, created
 * with `configFileMode`). What conf cannot do is kept here:
 * - the folder's path without loading conf: every command's `--help` reads the settings, and conf
 *   (with ajv) takes ~100 ms to import and ~70 ms to compile a schema;
 * - privacy on a shared box: conf creates the folder with `mkdirSync(..., { recursive: true })`, so
 *   0755 under the usual umask, and has no option for it; the folder is created 0700 here first
 *   (`configFileMode` 0600 covers the files). conf's writer follows a symlink at the file's path
 *   (it writes to the realpath); in a 0700 folder only this user can plant one;
 * - a corrupt file is kept: conf either throws on it (a bare SyntaxError or "Config schema violation")
 *   or, with `clearInvalidConfig`, drops it silently. Neither is right for a learner's work.
 */
import { constants, copyFileSync, existsSync, mkdirSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { UserError } from '../util/errors.js';

export const PROJECT_NAME = 'resnet-tutor';
/** Environment variable that moves the config folder (settings and lesson progress). */
export const CONFIG_DIR_ENV = 'RESNET_TUTOR_CONFIG_DIR';

/** The folder that holds settings.json and progress.json: `cwd`, else RESNET_TUTOR_CONFIG_DIR, else the user's. */
export function configDir(cwd?: string): string {
  return resolve(cwd ?? (process.env[CONFIG_DIR_ENV] || userConfigDir()));
}

/**
 * The folder conf picks for `projectName: 'resnet-tutor', projectSuffix: ''` (its env-paths `config`
 * path), computed here so that `--help` does not load conf. test/stores/settings.test.ts checks that
 * the two agree; the stores pass it to conf as `cwd`, so conf never computes its own.
 */
export function userConfigDir(): string {
  const env = process.env;
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Preferences', PROJECT_NAME);
  if (process.platform === 'win32') return join(env.APPDATA || join(homedir(), 'AppData', 'Roaming'), PROJECT_NAME, 'Config');
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), PROJECT_NAME);
}

/**
 * The conf options both stores open with (`configName` is the file name without `.json`). Creates
 * the folder 0700 when it is not there yet (an existing one is left as it is: it may be a lab's
 * shared folder on purpose); a folder path that is a file is left for conf to fail on.
 */
export function confOptions(configName: string, dir: string) {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch {
    // conf fails on the same path with the real error; `unusableStore` words it.
  }
  return {
    projectName: PROJECT_NAME,
    projectSuffix: '',
    configName,
    cwd: dir,
    configFileMode: 0o600,
    accessPropertiesByDotNotation: false,
    watch: false,
  } as const;
}

/** A name beside `path` for its corrupt copy, `<file>.corrupt-<time>[-n]`, that does not exist yet. */
function backupName(path: string, now: () => Date): string {
  const stamp = now().toISOString().replace(/[:.]/g, '-');
  let backup = `${path}.corrupt-${stamp}`;
  for (let i = 1; existsSync(backup); i++) backup = `${path}.corrupt-${stamp}-${i}`;
  return backup;
}

/**
 * Keeps a store file that cannot be used as it is: moved aside (`move`, the store then starts from its
 * defaults) or copied (the store goes on with it and repairs it at its next write). Returns the
 * backup's path; throws what the file system said when it cannot. Never overwrites an earlier backup.
 */
export function backUpStoreFile(path: string, how: 'move' | 'copy', now: () => Date = () => new Date()): string {
  const backup = backupName(path, now);
  if (how === 'move') renameSync(path, backup);
  else copyFileSync(path, backup, constants.COPYFILE_EXCL);
  return backup;
}

/**
 * A store file that is a folder, or a config folder that is a file, can be neither read nor written:
 * a UserError saying which and what to do (conf itself throws a bare EISDIR / ENOTDIR). Other errors
 * are returned as they are.
 */
export function unusableStore(err: unknown, what: string, dir: string, file: string): Error {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const why =
    code === 'EISDIR'
      ? `${file} is a folder, not a file`
      : code === 'ENOTDIR' || code === 'EEXIST'
        ? `${dir} (the folder it belongs in) is a file, not a folder`
        : code
          ? `${file} cannot be used (${code})`
          : null;
  if (why === null) return err as Error;
  return new UserError(
    `${what} cannot be kept: ${why}. Move it away (nothing in it is deleted by resnet-tutor), or point ${CONFIG_DIR_ENV} at a folder of your own.`,
  );
}
