/**
 * Where the TensorFlow route lives when `resnet-tutor gpu setup` installs it: a per-user folder that
 * no `npm install` of resnet-tutor touches, the same for a clone and for an `npm install resnet-tutor`
 * user. No tfjs import here: the CLI's main thread uses it before starting the engine.
 *
 *   $XDG_DATA_HOME/resnet-tutor/native   an npm prefix holding @tensorflow/tfjs-node(-gpu)@4.22.0
 *   $XDG_DATA_HOME/resnet-tutor/cuda11   a Python venv holding the CUDA 11.8 / cuDNN 8 pip wheels
 *
 * tfjs-node must register its backend on the same tfjs-core instance the engine uses, so the
 * native folder's own copies of the shared @tensorflow packages are replaced by links to ours
 * (`linkSharedTfjs`, re-checked before every load, so a moved resnet-tutor heals itself).
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export type Env = Readonly<Record<string, string | undefined>>;

export const NATIVE_DIR_ENV = 'RESNET_TUTOR_NATIVE_DIR';
export const CUDA_DIR_ENV = 'RESNET_TUTOR_CUDA_DIR';

/** The per-user data folder of resnet-tutor (XDG base directory spec). */
export function toolDataHome(env: Env = process.env, home: string = homedir()): string {
  const xdg = env.XDG_DATA_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(home, '.local', 'share'), 'resnet-tutor');
}

export function nativeDir(env: Env = process.env, home?: string): string {
  return env[NATIVE_DIR_ENV] || join(toolDataHome(env, home), 'native');
}

export function cudaDir(env: Env = process.env, home?: string): string {
  return env[CUDA_DIR_ENV] || join(toolDataHome(env, home), 'cuda11');
}

/** The @tensorflow packages tfjs-node shares with the engine (one instance each per process). */
export const SHARED_TFJS = [
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-layers',
  '@tensorflow/tfjs-converter',
  '@tensorflow/tfjs-data',
];

export type NativePackage = '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node';
export const NATIVE_VERSION = '4.22.0';

export interface NativeLocation {
  /** 'project': in resnet-tutor's own node_modules (an old `npm run gpu:enable`); 'user': the per-user folder. */
  readonly where: 'project' | 'user';
  /** The file to import. */
  readonly entry: string;
  /** The package's folder. */
  readonly root: string;
}

const ownRequire = createRequire(import.meta.url);

/** Finds tfjs-node(-gpu): resnet-tutor's own node_modules first, then the per-user folder. */
export function locateNative(pkg: NativePackage, env: Env = process.env, own: NodeJS.Require = ownRequire): NativeLocation | null {
  try {
    const entry = own.resolve(pkg);
    return { where: 'project', entry, root: dirname(own.resolve(`${pkg}/package.json`)) };
  } catch {
    // Not in the project: look in the per-user folder.
  }
  const dir = nativeDir(env);
  if (!existsSync(join(dir, 'package.json'))) return null;
  try {
    const user = createRequire(join(dir, 'package.json'));
    return { where: 'user', entry: user.resolve(pkg), root: dirname(user.resolve(`${pkg}/package.json`)) };
  } catch {
    return null;
  }
}

/**
 * Makes `dir/node_modules/@tensorflow/<shared>` links to the packages resnet-tutor itself uses, so
 * that tfjs-node, required from `dir`, registers on our tfjs-core. Returns what it changed.
 */
export function linkSharedTfjs(dir: string, own: NodeJS.Require = ownRequire): string[] {
  const changed: string[] = [];
  for (const pkg of SHARED_TFJS) {
    let ours: string;
    try {
      ours = realpathSync(dirname(own.resolve(`${pkg}/package.json`)));
    } catch {
      continue;
    }
    const link = join(dir, 'node_modules', pkg);
    let current: string | null = null;
    try {
      current = lstatSync(link).isSymbolicLink() ? readlinkSync(link) : 'not a link';
    } catch {
      current = null;
    }
    if (current === ours) continue;
    if (current !== null) rmSync(link, { recursive: true, force: true });
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(ours, link, 'dir');
    changed.push(pkg);
  }
  return changed;
}

/** The npm command `gpu setup` runs for the per-user install (npm ci-like, no save into any project). */
export function nativeInstallArgs(pkg: NativePackage, dir: string): string[] {
  return ['install', '--prefix', dir, '--no-audit', '--no-fund', '--omit=dev', `${pkg}@${NATIVE_VERSION}`];
}

/** The library folders inside the CUDA venv: site-packages/nvidia/<part>/lib, sorted. */
export function cudaLibraryDirs(venv: string): string[] {
  const dirs: string[] = [];
  const lib = join(venv, 'lib');
  let pythons: string[] = [];
  try {
    pythons = readdirSync(lib).filter((d) => d.startsWith('python'));
  } catch {
    return dirs;
  }
  for (const py of pythons.sort()) {
    const nvidia = join(lib, py, 'site-packages', 'nvidia');
    let parts: string[] = [];
    try {
      parts = readdirSync(nvidia);
    } catch {
      continue;
    }
    for (const part of parts.sort()) {
      const d = join(nvidia, part, 'lib');
      try {
        if (readdirSync(d).some((f) => /\.so(\.|$)/.test(f))) dirs.push(d);
      } catch {
        // Not a library part (e.g. __pycache__).
      }
    }
  }
  return dirs;
}
