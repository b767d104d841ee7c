import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { writeAndSync } from '../util/atomic.js';

/**
 * One writer per run folder: `<run>/.lock/` made with mkdir (atomic on every file system, NFS and
 * Lustre included, unlike O_EXCL on old NFS), holding owner.json (host, pid, since, token). The holder
 * touches the folder every REFRESH_MS; a lock is stale when its process is gone (same host) or when
 * it was not touched for STALE_MS (another host, where the pid cannot be asked). A stale lock is
 * taken over by renaming it aside first, so of two takers only one wins.
 */
export const LOCK_DIR = '.lock';
const OWNER = 'owner.json';
const REFRESH_MS = 15_000;
const STALE_MS = 120_000;
/** A resume started by its own parent (the dashboard's "keep training in the background") waits this long. */
const PARENT_HANDOFF_MS = 15_000;

interface Owner {
  readonly host: string;
  readonly pid: number;
  readonly since: string;
  readonly token: string;
}

export interface RunLock {
  release(): void;
}

export async function lockRun(runPath: string, id: string): Promise<RunLock> {
  const dir = join(runPath, LOCK_DIR);
  const me: Owner = { host: hostname(), pid: process.pid, since: new Date().toISOString(), token: randomBytes(8).toString('hex') };
  const started = Date.now();
  for (;;) {
    if (tryCreate(dir, me)) break;
    const holder = readOwner(dir);
    if (holder === 'gone') continue;
    if (isStale(dir, holder)) {
      takeOver(dir, holder);
      continue;
    }
    const h = holder ?? { host: '?', pid: 0, since: '?', token: '' };
    if (h.host === me.host && h.pid === process.ppid && Date.now() - started < PARENT_HANDOFF_MS) {
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    throw new UserError(
      `Run ${id} is in use by another resnet-tutor (pid ${h.pid} on ${h.host}, since ${h.since}); two writers would interleave its metrics and checkpoints. Follow it with \`resnet-tutor watch ${id}\`, or stop that process first. If it is gone and this is wrong, remove ${dir}.`,
    );
  }
  const timer = setInterval(() => {
    try {
      const now = new Date();
      utimesSync(dir, now, now);
    } catch {
      // The folder went away (the run was deleted): nothing to keep fresh.
    }
  }, REFRESH_MS);
  timer.unref();
  return {
    release: () => {
      clearInterval(timer);
      const holder = readOwner(dir);
      if (holder !== 'gone' && holder?.token === me.token) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function tryCreate(dir: string, me: Owner): boolean {
  try {
    mkdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new UserError(
      `Cannot lock the run folder ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); is it writable?`,
    );
  }
  writeAndSync(join(dir, OWNER), `${JSON.stringify(me)}\n`);
  return true;
}

/** The holder; null when owner.json is missing or unreadable (a holder killed between mkdir and write); 'gone' if the lock vanished. */
function readOwner(dir: string): Owner | null | 'gone' {
  try {
    statSync(dir);
  } catch {
    return 'gone';
  }
  try {
    const o = JSON.parse(readFileSync(join(dir, OWNER), 'utf8')) as Partial<Owner>;
    if (typeof o.host === 'string' && typeof o.pid === 'number' && typeof o.since === 'string' && typeof o.token === 'string')
      return o as Owner;
  } catch {
    // fall through
  }
  return null;
}

function isStale(dir: string, holder: Owner | null): boolean {
  let age: number;
  try {
    age = Date.now() - statSync(dir).mtimeMs;
  } catch {
    return false;
  }
  if (holder === null) return age > 5_000; // half-made by a process killed at once; give a live one time to write
  if (holder.host === hostname()) return !processAlive(holder.pid);
  return age > STALE_MS;
}

/** Renames the stale lock aside (one taker wins), checks it is the one judged stale, and removes it. */
function takeOver(dir: string, holder: Owner | null): void {
  const aside = `${dir}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(dir, aside);
  } catch {
    return; // another taker won; look again
  }
  const moved = readOwner(aside);
  const same = moved === holder || (moved !== 'gone' && moved !== null && holder !== null && moved.token === holder.token);
  if (!same) {
    // A fresh lock replaced the stale one between our look and the rename: give it back.
    try {
      renameSync(aside, dir);
    } catch {
      // dir exists again: a third process holds it; ours was the fresh one's, which is now lost to it.
    }
    return;
  }
  rmSync(aside, { recursive: true, force: true });
}

/**
 * Whether a process with this id runs on this host (EPERM: it does, as another user). A zombie does
 * not: right after `kill -9` a killed run stays a zombie until its parent reaps it, and signal 0
 * still reaches it, so a resume started at once would wrongly find its lock held.
 */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/** Linux: the state field of /proc/<pid>/stat (after the parenthesised name) is Z; false elsewhere. */
function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
}
