import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Conf from 'conf';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CONFIG_DIR_ENV,
  DEFAULT_SETTINGS,
  SETTING_KEYS,
  clearSettingsCache,
  configDir,
  flagDefault,
  loadSettings,
  openSettingsStore,
  parseSettingValue,
  settingKey,
  settingsPath,
} from '../../src/stores/settings.js';
import { UserError } from '../../src/util/errors.js';
import { runCli, tempDir } from '../helpers/cli.js';

const NOW = () => new Date('2026-02-03T04:05:06.789Z');
/** Help text with its wrapping undone (a long default may wrap at any space). */
const flat = (text: string): string => text.replace(/\s+/g, ' ');

function withFile(content: string): string {
  const dir = tempDir('rt-settings-');
  writeFileSync(join(dir, 'settings.json'), content);
  return dir;
}

describe('settings file', () => {
  afterEach(() => clearSettingsCache());

  it('has the documented defaults when there is no file, and creates none', () => {
    const dir = tempDir('rt-settings-');
    const loaded = loadSettings({ cwd: dir });
    expect(loaded.values).toEqual({ backend: 'auto', runDir: 'checkpoints', color: true, lessons: '' });
    expect(loaded.values).toEqual(DEFAULT_SETTINGS);
    expect(loaded.fromFile.size).toBe(0);
    expect(loaded.recovered).toBeNull();
    expect(loaded.path).toBe(join(dir, 'settings.json'));
    expect(existsSync(loaded.path)).toBe(false);
  });

  it('RESNET_TUTOR_CONFIG_DIR moves the folder; without it the folder is the one conf picks', () => {
    const dir = tempDir('rt-settings-');
    const before = { dir: process.env[CONFIG_DIR_ENV], xdg: process.env.XDG_CONFIG_HOME };
    try {
      process.env[CONFIG_DIR_ENV] = dir;
      expect(settingsPath()).toBe(join(dir, 'settings.json'));
      delete process.env[CONFIG_DIR_ENV];
      // conf (which also stores lesson progress) must agree on the folder: it computes it with env-paths.
      // (XDG_CONFIG_HOME keeps conf from creating the folder in the real home on Linux.)
      process.env.XDG_CONFIG_HOME = tempDir('rt-xdg-');
      const conf = new Conf({ projectName: 'resnet-tutor', projectSuffix: '', configName: 'settings', watch: false });
      expect(settingsPath()).toBe(conf.path);
      expect(configDir()).toBe(dirname(conf.path));
    } finally {
      for (const [k, v] of [
        [CONFIG_DIR_ENV, before.dir],
        ['XDG_CONFIG_HOME', before.xdg],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('set then get through the conf store; the fast reader sees the same values', async () => {
    const dir = tempDir('rt-settings-');
    const { store, recovered } = await openSettingsStore({ cwd: dir });
    expect(recovered).toBeNull();
    expect(store.path).toBe(join(dir, 'settings.json'));
    store.set('runDir', '/scratch/me/runs');
    store.set('backend', 'wasm');
    store.set('color', false);
    expect(store.get('runDir')).toBe('/scratch/me/runs');
    const loaded = loadSettings({ cwd: dir });
    expect(loaded.values).toEqual({ backend: 'wasm', runDir: '/scratch/me/runs', color: false, lessons: '' });
    expect([...loaded.fromFile].sort()).toEqual([...SETTING_KEYS].sort());
  });

  it('the conf schema refuses a wrong value too', async () => {
    const { store } = await openSettingsStore({ cwd: tempDir('rt-settings-') });
    expect(() => store.set('backend', 'gpu' as never)).toThrow(/schema/);
    expect(() => store.set('color', 'yes' as never)).toThrow(/schema/);
  });

  it('keeps keys it does not know (a newer version may have written them)', () => {
    const dir = withFile(JSON.stringify({ runDir: '/r', theme: 'dark' }));
    const loaded = loadSettings({ cwd: dir });
    expect(loaded.recovered).toBeNull();
    expect(loaded.values.runDir).toBe('/r');
    expect(JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8'))).toEqual({ runDir: '/r', theme: 'dark' });
  });

  for (const [what, content, why] of [
    ['invalid JSON', '{"runDir": "/r",', /not valid JSON/],
    ['a wrong type', JSON.stringify({ color: 'yes please' }), /color is "yes please"; allowed: true or false/],
    ['an unknown backend', JSON.stringify({ backend: 'gpu' }), /backend is "gpu"; allowed: auto, node-gpu/],
    ['an empty run folder', JSON.stringify({ runDir: '' }), /runDir is ""/],
    ['not an object', '[1, 2]', /not a JSON object/],
  ] as const) {
    it(`a file with ${what} is moved aside and the defaults are used, in one line naming it`, () => {
      const dir = withFile(content);
      const file = join(dir, 'settings.json');
      const loaded = loadSettings({ cwd: dir, now: NOW });
      expect(loaded.values).toEqual(DEFAULT_SETTINGS);
      expect(loaded.recovered).toMatch(why);
      expect(loaded.recovered).toContain(file);
      expect(loaded.recovered).not.toContain('\n');
      const backup = `${file}.corrupt-2026-02-03T04-05-06-789Z`;
      expect(loaded.recovered).toContain(backup);
      expect(readFileSync(backup, 'utf8')).toBe(content);
      // Nothing is written in its place: a missing file means the defaults.
      expect(existsSync(file)).toBe(false);
      // Fixed for good: the next read is quiet.
      expect(loadSettings({ cwd: dir }).recovered).toBeNull();
    });
  }

  it('a second corrupt file on the same clock gets its own backup name', () => {
    const dir = withFile('nope');
    loadSettings({ cwd: dir, now: NOW });
    writeFileSync(join(dir, 'settings.json'), 'nope again');
    loadSettings({ cwd: dir, now: NOW });
    expect(
      readdirSync(dir)
        .filter((f) => f.includes('.corrupt-'))
        .sort(),
    ).toEqual(['settings.json.corrupt-2026-02-03T04-05-06-789Z', 'settings.json.corrupt-2026-02-03T04-05-06-789Z-1']);
  });

  it('opening the conf store repairs a corrupt file instead of throwing', async () => {
    const dir = withFile('{{{');
    const { store, recovered } = await openSettingsStore({ cwd: dir, now: NOW });
    expect(recovered).toMatch(/was unusable \(not valid JSON/);
    expect(store.get('runDir')).toBe('checkpoints');
  });

  it('parses what `config set` is given, and says what is allowed otherwise', () => {
    expect(parseSettingValue('backend', 'WASM')).toBe('wasm');
    expect(parseSettingValue('color', 'off')).toBe(false);
    expect(parseSettingValue('color', 'yes')).toBe(true);
    expect(parseSettingValue('runDir', 'runs')).toBe('runs');
    const lessons = tempDir('rt-lessons-');
    expect(parseSettingValue('lessons', lessons)).toBe(lessons);
    expect(parseSettingValue('lessons', '')).toBe('');
    expect(() => parseSettingValue('backend', 'gpu')).toThrow(UserError);
    expect(() => parseSettingValue('backend', 'gpu')).toThrow(/Allowed for backend: auto, node-gpu, webgpu, node, wasm, cpu/);
    expect(() => parseSettingValue('color', 'maybe')).toThrow(/true or false/);
    expect(() => parseSettingValue('runDir', '  ')).toThrow(/cannot be empty/);
    expect(() => parseSettingValue('lessons', join(lessons, 'missing'))).toThrow(/There is no folder/);
  });

  it('knows a key by its flag name too', () => {
    expect(settingKey('run-dir')).toBe('runDir');
    expect(settingKey('--run-dir')).toBe('runDir');
    expect(settingKey('rundir')).toBe('runDir');
    expect(settingKey('backend')).toBe('backend');
    expect(() => settingKey('theme')).toThrow(/There is no setting "theme". Settings: backend, runDir, color, lessons/);
  });

  it('flag defaults come from the file, and say so when they differ from the built-in ones', () => {
    const dir = withFile(JSON.stringify({ runDir: '/tmp/x', color: true }));
    const before = process.env[CONFIG_DIR_ENV];
    process.env[CONFIG_DIR_ENV] = dir;
    try {
      clearSettingsCache();
      expect(flagDefault('runDir')).toEqual({ default: '/tmp/x', defaultDescription: '"/tmp/x", from config' });
      expect(flagDefault('color')).toEqual({ default: true });
      expect(flagDefault('backend')).toEqual({ default: 'auto' });
      expect(flagDefault('lessons')).toEqual({});
    } finally {
      if (before === undefined) delete process.env[CONFIG_DIR_ENV];
      else process.env[CONFIG_DIR_ENV] = before;
    }
  });
});

describe('flags override settings (the built CLI)', () => {
  it('config set runDir: train --help shows it as the default, runs uses it, --run-dir still wins', () => {
    const cfg = tempDir('rt-cfg-');
    const env = { [CONFIG_DIR_ENV]: cfg };
    const runRoot = join(tempDir('rt-runroot-'), 'my runs');
    const set = runCli(['config', 'set', 'runDir', runRoot], { env });
    expect(set.code).toBe(0);
    expect(set.stdout).toContain(`runDir = ${runRoot} (was checkpoints)`);

    const help = runCli(['train', '--help'], { env });
    expect(help.code).toBe(0);
    expect(flat(help.stdout)).toContain(`[default: "${runRoot}", from config]`);
    expect(flat(runCli(['compare', '--help'], { env }).stdout)).toContain(runRoot);

    const runs = runCli(['runs'], { env });
    expect(runs.code).toBe(0);
    expect(runs.stdout).toContain(`No runs in ${runRoot} yet`);
    expect(JSON.parse(runCli(['runs', '--json'], { env }).stdout)).toEqual([]);

    const other = tempDir('rt-other-');
    const flagged = runCli(['runs', '--run-dir', other], { env });
    expect(flagged.stdout).toContain(`No runs in ${other} yet`);
    expect(flagged.stdout).not.toContain(runRoot);
  });

  it('config set backend and color become the defaults of train and resume', () => {
    const cfg = tempDir('rt-cfg-');
    const env = { [CONFIG_DIR_ENV]: cfg };
    expect(runCli(['config', 'set', 'backend', 'wasm'], { env }).code).toBe(0);
    expect(runCli(['config', 'set', 'color', 'false'], { env }).code).toBe(0);
    const train = flat(runCli(['train', '--help'], { env }).stdout);
    expect(train).toContain('[default: "wasm", from config]');
    expect(train).toContain('[default: false, from config]');
    expect(flat(runCli(['resume', '--help'], { env }).stdout)).toContain('[default: false, from config]');
  });

  it('config set lessons becomes the default of lessons --lessons', () => {
    const cfg = tempDir('rt-cfg-');
    const course = tempDir('rt-course-');
    const env = { [CONFIG_DIR_ENV]: cfg };
    expect(runCli(['config', 'set', 'lessons', course], { env }).code).toBe(0);
    expect(flat(runCli(['lessons', '--help'], { env }).stdout)).toContain(course);
  });

  it('a corrupt settings file: one line on stderr naming it, then the command runs with the defaults', () => {
    const cfg = tempDir('rt-cfg-');
    mkdirSync(cfg, { recursive: true });
    const file = join(cfg, 'settings.json');
    writeFileSync(file, '{"runDir": ');
    const runRoot = tempDir('rt-runroot-');
    const r = runCli(['runs', '--run-dir', runRoot], { env: { [CONFIG_DIR_ENV]: cfg } });
    expect(r.code).toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(file);
    expect(lines[0]).toMatch(/moved to .*settings\.json\.corrupt-/);
    expect(r.stdout).toContain(`No runs in ${runRoot} yet`);
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(cfg).some((f) => f.startsWith('settings.json.corrupt-'))).toBe(true);
  });

  it('the top-level --help does not read the settings file at all', () => {
    const cfg = tempDir('rt-cfg-');
    writeFileSync(join(cfg, 'settings.json'), 'not json');
    const r = runCli(['--help'], { env: { [CONFIG_DIR_ENV]: cfg } });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(readFileSync(join(cfg, 'settings.json'), 'utf8')).toBe('not json');
  });
});
