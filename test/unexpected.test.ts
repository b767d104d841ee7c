import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensurePrivateDir, writeNewPrivateFile } from '../src/util/private-dir.js';
import { runCli, tempDir } from './helpers/cli.js';

const crash = (env: NodeJS.ProcessEnv) => runCli(['--help'], { env: { RESNET_TUTOR_TEST_CRASH: '1', ...env } });

describe('crash logs', () => {
  it('go to a private state folder (0700), in a new file only you can read (0600), not to $TMPDIR', () => {
    const state = tempDir('rt-state-');
    const tmp = tempDir('rt-tmp-');
    const r = crash({ XDG_STATE_HOME: state, TMPDIR: tmp });
    expect(r.code).toBe(1);
    const file = /is in (.+\.log)\.$/.exec(r.stderr.trim())![1]!;
    expect(file.startsWith(join(state, 'resnet-tutor', 'crash-'))).toBe(true);
    expect(statSync(join(state, 'resnet-tutor')).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toContain('crash requested by RESNET_TUTOR_TEST_CRASH=1');
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('a planted symlink in place of the state folder is refused: nothing is written through it', () => {
    const state = tempDir('rt-state-');
    const victim = tempDir('rt-victim-');
    writeFileSync(join(victim, 'precious'), 'keep me');
    symlinkSync(victim, join(state, 'resnet-tutor'));
    const r = crash({ XDG_STATE_HOME: state });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unexpected error: crash requested.*No crash log written: .*symbolic link/);
    // The trace is printed instead.
    expect(r.stderr).toMatch(/\n\s+at .*cli(-main)?\.js/);
    expect(readdirSync(victim)).toEqual(['precious']);
    expect(readFileSync(join(victim, 'precious'), 'utf8')).toBe('keep me');
  });

  it('a state folder others can write, or that belongs to someone else, is refused', () => {
    const writable = tempDir('rt-state-');
    mkdirSync(join(writable, 'resnet-tutor'));
    chmodSync(join(writable, 'resnet-tutor'), 0o777);
    expect(crash({ XDG_STATE_HOME: writable }).stderr).toMatch(/No crash log written: .*can be written by other users \(mode 777\)/);
    expect(readdirSync(join(writable, 'resnet-tutor'))).toEqual([]);
    if (process.getuid?.() === 0) {
      const foreign = tempDir('rt-state-');
      mkdirSync(join(foreign, 'resnet-tutor'), { mode: 0o700 });
      chownSync(join(foreign, 'resnet-tutor'), 65534, 65534);
      expect(crash({ XDG_STATE_HOME: foreign }).stderr).toMatch(/No crash log written: .*belongs to user 65534/);
      expect(readdirSync(join(foreign, 'resnet-tutor'))).toEqual([]);
    }
  });
});

describe('writeNewPrivateFile', () => {
  it('never follows a symlink and never overwrites', () => {
    const dir = ensurePrivateDir(join(tempDir(), 'p'));
    const victim = join(tempDir(), 'victim');
    writeFileSync(victim, 'keep me');
    symlinkSync(victim, join(dir, 'link.log'));
    expect(() => writeNewPrivateFile(join(dir, 'link.log'), 'evil')).toThrow(/EEXIST/);
    writeNewPrivateFile(join(dir, 'new.log'), 'x');
    expect(() => writeNewPrivateFile(join(dir, 'new.log'), 'y')).toThrow(/EEXIST/);
    expect(readFileSync(victim, 'utf8')).toBe('keep me');
    expect(existsSync(join(dir, 'new.log'))).toBe(true);
  });
});
