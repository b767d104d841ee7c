import { readdirSync } from 'node:fs';
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
