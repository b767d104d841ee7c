import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli, tempDir } from '../helpers/cli.js';

/**
 * Flag errors are refused before any run folder exists, as one `resnet-tutor:` paragraph, exit 1:
 * lenient parsing (an empty value, hex or exponent for an integer, an empty list item) and a
 * backend that is not installed here.
 */
beforeAll(() => ensureBuilt());

function refused(args: string[], message: RegExp) {
  const root = tempDir('rt-flags-');
  const r = runCli([...args, '--run-dir', root], { timeoutMs: 60_000 });
  expect(r.code, r.stderr).toBe(1);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^resnet-tutor: /);
  expect(lines[0]).toMatch(message);
  // Nothing written: no run folder, failed or otherwise.
  expect(readdirSync(root)).toEqual([]);
}

describe('lenient parsing is refused', () => {
  it.each([
    [['train', '--dataset', ''], /--dataset needs a value; got an empty one/],
    [['train', '--depth', '0x10'], /--depth must be a whole number written in decimal digits \(like 20\); got "0x10"/],
    [['train', '--depth', '0o20'], /--depth must be a whole number .*got "0o20"/],
    [['train', '--steps', '1e3'], /--steps must be a whole number .*got "1e3"/],
    [['train', '--batch-size', ' '], /--batch-size needs a value/],
    [['train', '--lr', '0x1'], /--lr must be a decimal number \(like 0.05 or 1e-4\); got "0x1"/],
    [['compare', '--lr', '0.1,,0.2'], /--lr has an empty item in its comma list \("0.1,,0.2"\); give each value once, e.g. --lr 0.1,0.2/],
    [['compare', '--arch', 'plain,'], /--arch has an empty item in its comma list/],
    [['compare', '--depth', '8,0x10'], /--depth must be a whole number .*got "0x10"/],
  ])('%j', (args, message) => refused(args, message));

  it('an exponent stays fine where a real number is expected', () => {
    const root = tempDir('rt-flags-');
    const r = runCli([
      'train',
      '--lr',
      '5e-2',
      '--weight-decay',
      '1e-4',
      '--steps',
      '2',
      '--train-limit',
      '64',
      '--val-limit',
      '16',
      '--depth',
      '2',
      '--width',
      '8',
      '--backend',
      'wasm',
      '--run-dir',
      root,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('a backend that is not installed', () => {
  // This machine has no @tensorflow/tfjs-node (the headless train test asserts auto skips it).
  it.each([['train'], ['compare', '--arch', 'plain,residual']])(
    '%j --backend node: refused before a run folder, printed once',
    (...args) => {
      refused(
        [...args, '--backend', 'node', '--steps', '2'],
        /^resnet-tutor: --backend node cannot be used here: @tensorflow\/tfjs-node is not installed\. To fix it, run `resnet-tutor gpu setup --cpu`.*No run was created\.$/,
      );
    },
  );
});

describe('an error raised in the engine worker', () => {
  it('is printed once, with the resnet-tutor: prefix, on stderr only', () => {
    const root = tempDir('rt-flags-');
    const tiny = ['--steps', '12', '--train-limit', '256', '--val-limit', '32', '--depth', '2', '--width', '8', '--batch-size', '16'];
    const first = runCli(['train', ...tiny, '--backend', 'wasm', '--checkpoint-every', '4', '--name', 'r', '--run-dir', root], {
      env: { RESNET_TUTOR_FAULTS: 'exit@6' },
    });
    expect(first.code).toBe(1);
    // run.json edited to another width: the worker finds the checkpoint belongs to another network.
    const file = join(root, 'r', 'run.json');
    const info = JSON.parse(readFileSync(file, 'utf8')) as { config: { width: number } };
    info.config.width = 16;
    writeFileSync(file, JSON.stringify(info));
    const r = runCli(['resume', 'r', '--run-dir', root]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^resnet-tutor: Checkpoint .*ckpt-4 belongs to a different network \(width 16 vs 8; run vs checkpoint\)\.[^\n]*\n$/,
    );
  });
});
