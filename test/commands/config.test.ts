import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runConfigCommand, type ConfigCommandOptions, type ConfigIo } from '../../src/commands/impl/config.js';
import { UserError } from '../../src/util/errors.js';
import { CONFIG_DIR_ENV, DEFAULT_SETTINGS } from '../../src/stores/settings.js';
import { runCli, tempDir } from '../helpers/cli.js';

/** Runs the command in-process against a settings folder; collects what it prints. */
async function config(
  dir: string,
  opts: Omit<ConfigCommandOptions, 'configDir' | 'io'>,
  io: Partial<ConfigIo> = {},
): Promise<{ code: number; out: string; err: string; asked: string[] }> {
  let out = '';
  let err = '';
  const asked: string[] = [];
  const code = await runConfigCommand({
    ...opts,
    configDir: dir,
    io: {
      out: (t) => (out += t),
      err: (t) => (err += t),
      isTTY: false,
      ask: async (q) => {
        asked.push(q);
        return 'n';
      },
      cwd: dir,
      ...io,
    },
  });
  return { code, out, err, asked };
}

const fileOf = (dir: string) => join(dir, 'settings.json');
const readFile = (dir: string): unknown => JSON.parse(readFileSync(fileOf(dir), 'utf8'));

describe('config (in-process)', () => {
  it('list: every key with its value, default and flag, and where the file is', async () => {
    const dir = tempDir('rt-config-');
    const r = await config(dir, { action: 'list' });
    expect(r.code).toBe(0);
    expect(r.out).toContain('setting  value        default      flag');
    expect(r.out).toMatch(/^backend\s+auto\s+auto\s+--backend$/m);
    expect(r.out).toMatch(/^runDir\s+checkpoints\s+checkpoints\s+--run-dir$/m);
    expect(r.out).toMatch(/^color\s+true\s+true\s+--color$/m);
    expect(r.out).toMatch(/^lessons\s+\(built-in\)\s+\(built-in\)\s+--lessons$/m);
    expect(r.out).toContain(`Settings file: ${fileOf(dir)} (not created yet)`);
    expect(r.out).toContain('Every setting has its default.');
    expect(r.out).toContain(CONFIG_DIR_ENV);
  });

  it('set validates, saves, and get prints the bare value', async () => {
    const dir = tempDir('rt-config-');
    const set = await config(dir, { action: 'set', key: 'run-dir', value: '/scratch/me/runs' });
    expect(set.code).toBe(0);
    expect(set.out).toBe(`runDir = /scratch/me/runs (was checkpoints). Saved in ${fileOf(dir)}; a --run-dir flag still wins.\n`);
    expect(readFile(dir)).toMatchObject({ runDir: '/scratch/me/runs' });

    expect((await config(dir, { action: 'get', key: 'runDir' })).out).toBe('/scratch/me/runs\n');
    expect((await config(dir, { action: 'get', key: 'color', json: true })).out).toBe('true\n');

    const list = await config(dir, { action: 'list' });
    expect(list.out).toMatch(/^runDir\s+\/scratch\/me\/runs\s+checkpoints\s+--run-dir$/m);
    expect(list.out).toContain('Changed from the default: runDir.');
  });

  it('list --json', async () => {
    const dir = tempDir('rt-config-');
    await config(dir, { action: 'set', key: 'backend', value: 'cpu' });
    const r = await config(dir, { action: 'list', json: true });
    const data = JSON.parse(r.out) as {
      file: string;
      settings: Record<string, { value: unknown; default: unknown; fromFile: boolean; flag: string }>;
    };
    expect(data.file).toBe(fileOf(dir));
    expect(data.settings.backend).toEqual({ value: 'cpu', default: 'auto', fromFile: true, flag: '--backend' });
    expect(Object.keys(data.settings)).toEqual(['backend', 'runDir', 'color', 'lessons']);
  });

  it('a relative runDir is saved as typed, with a note on what relative means', async () => {
    const dir = tempDir('rt-config-');
    const r = await config(dir, { action: 'set', key: 'runDir', value: 'runs' });
    expect(r.out).toContain('Note: "runs" is a relative path');
  });

  it('set lessons stores an absolute folder (it is used from any folder)', async () => {
    const dir = tempDir('rt-config-');
    const course = tempDir('rt-course-');
    await config(dir, { action: 'set', key: 'lessons', value: course });
    expect(readFile(dir)).toMatchObject({ lessons: course });
    await config(dir, { action: 'set', key: 'lessons', value: '' });
    expect(readFile(dir)).toMatchObject({ lessons: '' });
  });

  it('set refuses a bad value or key and says what is allowed; nothing is written', async () => {
    const dir = tempDir('rt-config-');
    await expect(config(dir, { action: 'set', key: 'backend', value: 'cuda' })).rejects.toThrow(
      /"cuda" is not a backend. Allowed for backend: auto, node-gpu, webgpu, node, wasm, cpu/,
    );
    await expect(config(dir, { action: 'set', key: 'colour', value: 'false' })).rejects.toThrow(UserError);
    await expect(config(dir, { action: 'get', key: 'colour' })).rejects.toThrow(/There is no setting "colour"/);
    expect(() => readFileSync(fileOf(dir))).toThrow(/ENOENT/);
  });

  it('reset asks on a terminal; "n" keeps the settings, "y" resets them', async () => {
    const dir = tempDir('rt-config-');
    await config(dir, { action: 'set', key: 'color', value: 'false' });
    const kept = await config(dir, { action: 'reset' }, { isTTY: true, ask: async () => 'n' });
    expect(kept.out).toBe('Settings kept.\n');
    expect(readFile(dir)).toMatchObject({ color: false });
    const asked: string[] = [];
    const done = await config(dir, { action: 'reset' }, { isTTY: true, ask: async (q) => (asked.push(q), 'y') });
    expect(asked).toEqual([`Reset every setting in ${fileOf(dir)} to its default? [y/N] `]);
    expect(done.out).toBe(`Settings reset to the defaults (${fileOf(dir)}).\n`);
    expect(readFile(dir)).toEqual(DEFAULT_SETTINGS);
  });

  it('reset needs --yes when the input is not a terminal', async () => {
    const dir = tempDir('rt-config-');
    await config(dir, { action: 'set', key: 'color', value: 'false' });
    await expect(config(dir, { action: 'reset' })).rejects.toThrow(/config reset --yes/);
    expect(readFile(dir)).toMatchObject({ color: false });
    const r = await config(dir, { action: 'reset', yes: true });
    expect(r.asked).toEqual([]);
    expect(readFile(dir)).toEqual(DEFAULT_SETTINGS);
  });

  it('a corrupt file is reported once on stderr and replaced before set writes', async () => {
    const dir = tempDir('rt-config-');
    writeFileSync(fileOf(dir), '{"color": "purple"}');
    const r = await config(dir, { action: 'set', key: 'backend', value: 'wasm' });
    expect(r.code).toBe(0);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain(fileOf(dir));
    expect(readFile(dir)).toEqual({ ...DEFAULT_SETTINGS, backend: 'wasm' });
  });
});

describe('config (the built CLI)', () => {
  const env = (dir: string) => ({ env: { [CONFIG_DIR_ENV]: dir } });

  it('`config` alone lists; set/get round-trip; exit 0', () => {
    const dir = tempDir('rt-config-');
    const list = runCli(['config'], env(dir));
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`Settings file: ${fileOf(dir)}`);
    expect(runCli(['config', 'set', 'backend', 'wasm'], env(dir)).code).toBe(0);
    const get = runCli(['config', 'get', 'backend'], env(dir));
    expect(get).toMatchObject({ code: 0, stdout: 'wasm\n', stderr: '' });
  });

  for (const [args, message] of [
    [
      ['config', 'set', 'backend', 'gpu'],
      /^resnet-tutor: "gpu" is not a backend\. Allowed for backend: auto, node-gpu, webgpu, node, wasm, cpu\./,
    ],
    [['config', 'set', 'runDir'], /needs a value/],
    [['config', 'get'], /needs a setting name: backend, runDir, color or lessons/],
    [['config', 'list', 'runDir'], /Did you mean `resnet-tutor config get runDir`\?/],
    [['config', 'reset'], /not a terminal\. Run `resnet-tutor config reset --yes`/],
    [['config', 'frobnicate'], /Invalid values:.*Choices: "get", "set", "list", "reset"/s],
  ] as const) {
    it(`\`${args.join(' ')}\` is a user error: one paragraph, exit 1`, () => {
      const r = runCli([...args], env(tempDir('rt-config-')));
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }

  it('reset --yes restores the defaults', () => {
    const dir = tempDir('rt-config-');
    runCli(['config', 'set', 'color', 'off'], env(dir));
    const r = runCli(['config', 'reset', '--yes'], env(dir));
    expect(r.code).toBe(0);
    expect(readFile(dir)).toEqual(DEFAULT_SETTINGS);
  });
});
