/**
 * The package as a user gets it: `npm pack`, then `npm install <tarball>` into an empty folder, then
 * the installed `resnet-tutor` runs without the dev toolchain (no TypeScript, no vitest: compiled JS
 * only). Takes a minute or two: npm installs @tensorflow/* and the datasets (from its cache when warm).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, tempDir } from '../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
const LONG = 300_000;

/**
 * The environment without what `npm test` adds (npm_config_*, npm_package_*, npm_lifecycle_*): the
 * inner npm must behave as in a fresh shell, not as a script of this package.
 */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, ...extra };
}

function run(cmd: string, args: string[], cwd: string, env = cleanEnv()): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: LONG, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return r;
}

describe('npm pack, then install the tarball', () => {
  let dest: string;
  let tarball: string;
  let entries: string[];
  let app: string;
  let installLog: string;
  const configDir = tempDir('rt-pack-cfg-');
  const bin = () => join(app, 'node_modules', '.bin', 'resnet-tutor');
  const cli = (...args: string[]) => run(bin(), args, app, cleanEnv({ RESNET_TUTOR_CONFIG_DIR: configDir }));

  beforeAll(() => {
    ensureBuilt();
    dest = tempDir('rt-pack-');
    // `npm test` has just built dist/. The real `npm pack` would also run prepack (clean dist/) and
    // prepare (build it again): skipped here, so that test files running beside this one keep their dist/.
    const pack = run('npm', ['pack', '--ignore-scripts', '--pack-destination', dest, '--json'], ROOT);
    expect(pack.status, pack.stderr).toBe(0);
    const [info] = JSON.parse(pack.stdout) as { filename: string }[];
    tarball = join(dest, info!.filename);
    const list = run('tar', ['tzf', tarball], dest);
    expect(list.status, list.stderr).toBe(0);
    entries = list.stdout.split('\n').filter(Boolean);

    app = join(dest, 'app');
    mkdirSync(app);
    const install = run(
      'npm',
      ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts', '--loglevel', 'notice'],
      app,
    );
    installLog = `${install.stdout}\n${install.stderr}`;
    expect(install.status, installLog).toBe(0);
  }, LONG);

  // The install is about 150 MB: do not leave one behind per test run.
  afterAll(() => {
    if (dest) rmSync(dest, { recursive: true, force: true });
    rmSync(configDir, { recursive: true, force: true });
  });

  it('the tarball holds the compiled CLI, the lessons and package.json, and nothing else', () => {
    expect(entries).toContain('package/package.json');
    expect(entries).toContain('package/dist/src/cli.js');
    expect(entries).toContain('package/dist/src/stores/settings.js');
    expect(entries.some((e) => /^package\/lessons\/\d\d-[\w-]+\.md$/.test(e))).toBe(true);
    const unexpected = entries.filter(
      (e) =>
        !(
          e === 'package/package.json' ||
          e === 'package/README.md' ||
          e === 'package/LICENSE' ||
          /^package\/dist\/src\/.+\.js$/.test(e) ||
          e.startsWith('package/lessons/')
        ),
    );
    expect(unexpected).toEqual([]);
  });

  it('no tests, no TypeScript sources, no source maps, no bench', () => {
    expect(entries.filter((e) => e.startsWith('package/test/') || e.startsWith('package/dist/test/'))).toEqual([]);
    expect(entries.filter((e) => /\.tsx?$/.test(e))).toEqual([]);
    expect(entries.filter((e) => e.endsWith('.map'))).toEqual([]);
    expect(entries.filter((e) => e.startsWith('package/src/') || e.includes('/bench/'))).toEqual([]);
  });

  it('installing it runs no prepare (no tsc) and brings no dev tools', () => {
    expect(installLog).not.toMatch(/> resnet-tutor@[^\n]* prepare/);
    expect(installLog).not.toMatch(/\btsc\b.*not found|error TS\d+/);
    const nm = join(app, 'node_modules');
    expect(existsSync(join(nm, 'resnet-tutor', 'dist', 'src', 'cli.js'))).toBe(true);
    expect(existsSync(join(nm, 'typescript'))).toBe(false);
    expect(existsSync(join(nm, 'vitest'))).toBe(false);
    expect(existsSync(join(nm, '@tensorflow', 'tfjs-node'))).toBe(false);
    expect(readdirSync(join(nm, 'resnet-tutor')).sort()).not.toContain('src');
  });

  it('node_modules/.bin/resnet-tutor --version', () => {
    const r = cli('--version');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${PACKAGE.version}\n`);
  });

  it('node_modules/.bin/resnet-tutor --help', () => {
    const r = cli('--help');
    expect(r.status).toBe(0);
    for (const name of ['lessons', 'train', 'compare', 'resume', 'runs', 'report', 'doctor', 'config', 'completion']) {
      expect(r.stdout).toContain(`resnet-tutor ${name}`);
    }
  });

  it('node_modules/.bin/resnet-tutor doctor --json (TensorFlow.js loads from the installed package)', () => {
    const r = cli('doctor', '--json');
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { packages: Record<string, string | null>; backends: { name: string; loads: string }[] };
    expect(report.packages['tfjs-core']).toBe('4.22.0');
    expect(report.backends.find((b) => b.name === 'wasm')?.loads).toBe('yes');
  });

  it('the installed lessons are found', () => {
    const r = cli('lessons', '--json');
    expect(r.status, r.stderr).toBe(0);
    const data = JSON.parse(r.stdout) as { lessons: unknown[] };
    expect(data.lessons.length).toBeGreaterThan(0);
  });

  it('npx --no-install resnet-tutor --version', () => {
    const r = run('npx', ['--no-install', 'resnet-tutor', '--version'], app);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${PACKAGE.version}\n`);
  });
});
