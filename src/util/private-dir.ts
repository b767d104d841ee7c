import { constants, closeSync, lstatSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/**
 * Folders and files only this user can touch, for what another local user must never plant or
 * redirect (crash logs). A folder is made 0700 and, found already there, used only if it is a real
 * folder (not a symlink), owned by this user, and writable by nobody else.
 */

/** The per-user state folder: `$XDG_STATE_HOME/resnet-tutor`, by default `~/.local/state/resnet-tutor`. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_STATE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.local', 'state');
  return join(base, 'resnet-tutor');
}

/** Creates `dir` (0700, parents as usual) or checks the one there; throws saying what is wrong. */
export function ensurePrivateDir(dir: string): string {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const st = lstatSync(dir);
  if (st.isSymbolicLink()) throw new Error(`${dir} is a symbolic link; refusing to follow it`);
  if (!st.isDirectory()) throw new Error(`${dir} is not a folder`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new Error(`${dir} belongs to user ${st.uid}, not to you (${uid})`);
  if ((st.mode & 0o022) !== 0) {
    throw new Error(
      `${dir} can be written by other users (mode ${(st.mode & 0o777).toString(8)}); make it private with \`chmod 700 ${dir}\``,
    );
  }
  return dir;
}

/**
 * Writes a new file that must not exist yet (O_EXCL), never through a symlink (O_NOFOLLOW), readable
 * by this user only.
 */
export function writeNewPrivateFile(path: string, text: string): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    const buf = Buffer.from(text);
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
  } finally {
    closeSync(fd);
  }
}
