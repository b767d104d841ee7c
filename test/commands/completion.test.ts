import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { completionScript } from '../../src/commands/impl/completion.js';
import { CONFIG_DIR_ENV } from '../../src/stores/settings.js';
import { runCli, tempDir } from '../helpers/cli.js';

const ENV = { [CONFIG_DIR_ENV]: tempDir('rt-completion-cfg-') };

describe('completion', () => {
  it('prints a bash script for resnet-tutor that asks the CLI for completions', () => {
    const r = runCli(['completion'], { env: { ...ENV, SHELL: '/bin/bash' } });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(completionScript('bash'));
    expect(r.stdout).toContain('###-begin-resnet-tutor-completions-###');
    expect(r.stdout).toContain('resnet-tutor --get-yargs-completions');
    expect(r.stdout).toContain('complete -o bashdefault -o default -F _resnet_tutor_completions resnet-tutor');
  });

  it('the bash script is valid bash', () => {
    const file = join(tempDir('rt-completion-'), 'completion.bash');
    writeFileSync(file, completionScript('bash'));
    const r = spawnSync('bash', ['-n', file], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('zsh: from --shell, or from $SHELL', () => {
    const flag = runCli(['completion', '--shell', 'zsh'], { env: { ...ENV, SHELL: '/bin/bash' } });
    expect(flag.code).toBe(0);
    expect(flag.stdout).toBe(completionScript('zsh'));
    expect(flag.stdout).toContain('#compdef resnet-tutor');
    expect(flag.stdout).toContain('compdef _resnet_tutor_completions resnet-tutor');
    expect(runCli(['completion'], { env: { ...ENV, SHELL: '/usr/bin/zsh' } }).stdout).toBe(completionScript('zsh'));
  });

  it('the CLI answers the script: commands, flags and flag values', () => {
    const ask = (...words: string[]) => runCli(['--get-yargs-completions', 'resnet-tutor', ...words], { env: ENV });
    const commands = ask('').stdout.split('\n');
    expect(commands).toEqual(expect.arrayContaining(['train', 'compare', 'config', 'completion', 'doctor']));
    expect(ask('train', '--').stdout.split('\n')).toEqual(expect.arrayContaining(['--run-dir', '--backend', '--depth']));
    expect(ask('train', '--backend', '').stdout.split('\n')).toEqual(expect.arrayContaining(['auto', 'wasm', 'node-gpu']));
  });

  it('is listed in --help with its example', () => {
    const help = runCli(['completion', '--help'], { env: ENV }).stdout;
    expect(help).toContain('resnet-tutor completion >> ~/.bashrc');
    expect(runCli(['--help'], { env: ENV }).stdout).toMatch(/resnet-tutor completion\s+Print a bash or zsh script/);
  });
});
