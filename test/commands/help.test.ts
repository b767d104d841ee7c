import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commands } from '../../src/commands/index.js';
import { CONFIG_DIR_ENV } from '../../src/stores/settings.js';
import { runCli, tempDir } from '../helpers/cli.js';

const PACKAGE = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
/** Each registered command's name (`report <run>` -> `report`). */
const NAMES = commands.map((c) => String(Array.isArray(c.command) ? c.command[0] : c.command).split(' ')[0]!);
/** Settings kept out of the user's home, so a developer's own settings cannot change the output. */
const ENV = { env: { [CONFIG_DIR_ENV]: tempDir('rt-help-cfg-') } };

describe('--help and --version', () => {
  it('the top-level --help lists every command, with examples', () => {
    const r = runCli(['--help'], ENV);
    expect(r.code).toBe(0);
    for (const name of NAMES) expect(r.stdout).toContain(`resnet-tutor ${name}`);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('resnet-tutor completion >> ~/.bashrc');
  });

  it('help wraps at word boundaries, within 100 columns', () => {
    const r = runCli(['train', '--help'], ENV);
    for (const line of r.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    // The ESM build of yargs cut words in half ("less\non file"); the CommonJS build does not.
    expect(runCli(['--help'], ENV).stdout).toMatch(/--check validates\s+every lesson file/);
  });

  it.each(NAMES)('`%s --help` exits 0 and has examples', (name) => {
    const r = runCli([name, '--help'], ENV);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`resnet-tutor ${name}`);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toMatch(/Examples:\n {2}resnet-tutor /);
  });

  it("--version and -V print package.json's version", () => {
    for (const flag of ['--version', '-V']) {
      const r = runCli([flag], ENV);
      expect(r).toMatchObject({ code: 0, stdout: `${PACKAGE.version}\n`, stderr: '' });
    }
  });

  it('--version is right from any folder', () => {
    expect(runCli(['--version'], { ...ENV, cwd: tempDir('rt-cwd-') }).stdout).toBe(`${PACKAGE.version}\n`);
  });
});

describe('errors that teach', () => {
  it('a misspelt command: one paragraph that suggests the right one, exit 1', () => {
    const r = runCli(['trian'], ENV);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'resnet-tutor: Unknown command "trian". Did you mean `resnet-tutor train`? Run `resnet-tutor --help` to see every command.\n',
    );
  });

  it('an unknown command with nothing close: the list is one --help away', () => {
    const r = runCli(['frobnicate'], ENV);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('resnet-tutor: Unknown command "frobnicate". Run `resnet-tutor --help` to see every command.\n');
  });

  it('an unknown flag names the command whose --help to read', () => {
    const r = runCli(['runs', '--bogus'], ENV);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('resnet-tutor: Unknown argument: bogus. Run `resnet-tutor runs --help` to see the options.\n');
  });

  it('an unexpected error: one line plus where the stack trace was written, exit 1', () => {
    const tmp = tempDir('rt-crash-');
    const r = runCli(['--help'], { env: { ...ENV.env, RESNET_TUTOR_TEST_CRASH: '1', XDG_STATE_HOME: tmp } });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^resnet-tutor: unexpected error: crash requested by RESNET_TUTOR_TEST_CRASH=1\. The full stack trace is in (.+crash-.+\.log)\.$/,
    );
    const file = /is in (.+\.log)\.$/.exec(lines[0]!)![1]!;
    expect(file.startsWith(join(tmp, 'resnet-tutor'))).toBe(true);
    expect(existsSync(file)).toBe(true);
    const trace = readFileSync(file, 'utf8');
    expect(trace).toContain('Error: crash requested by RESNET_TUTOR_TEST_CRASH=1');
    expect(trace).toMatch(/\n\s+at .*cli(-main)?\.js/);
    expect(readdirSync(join(tmp, 'resnet-tutor'))).toHaveLength(1);
  });
});
