import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { runRecordingTfjs } from '../helpers/tfjs-loads.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli.js');

/** Runs the built CLI (`npm test` builds first; build here if dist is missing). */
async function resnetTutor(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { cwd: root, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('resnet-tutor doctor', () => {
  beforeAll(async () => {
    if (!existsSync(cli)) await run('npm', ['run', 'build'], { cwd: root, timeout: 120_000 }).catch(() => undefined);
  }, 130_000);

  it('prints a readable table in which wasm loads', async () => {
    const { code, stdout, stderr } = await resnetTutor('doctor');
    expect(code).toBe(0);
    // Dawn's OpenGL ES backend (the software adapter here) prints its limit adjustments from native
    // code, past Node; nothing else may reach stderr.
    expect(stderr.replace(/^Warning: max\w+ artificially reduced .*\n/gm, '')).toBe('');
    expect(stdout).toMatch(/^\s+backend\s+found\s+loads\s+version\s+computes on$/m);
    expect(stdout).toMatch(/^\s+wasm\s+yes\s+yes\s+4\.22\.0\s+CPU \(wasm, /m);
    expect(stdout).toMatch(/^\s+cpu\s+yes\s+yes\s+4\.22\.0\s+CPU \(pure JavaScript\)$/m);
    expect(stdout).toContain('libcudnn.so.8');
    expect(stdout).toMatch(/^Best backend here: /m);
    // Plain text: no escape codes.
    expect(stdout).not.toMatch(/\u001b\[/);
  });

  it('--json prints a report that parses', async () => {
    const { code, stdout } = await resnetTutor('doctor', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      backends: { name: string; loads: string }[];
      cuda: { libraries: { name: string }[] };
      best: { name: string };
    };
    expect(report.backends.map((b) => b.name)).toEqual(['node-gpu', 'webgpu', 'node', 'wasm', 'cpu']);
    expect(report.backends.find((b) => b.name === 'wasm')?.loads).toBe('yes');
    expect(report.cuda.libraries).toHaveLength(8);
    // The best backend is one that loaded here.
    expect(report.backends.find((b) => b.name === report.best.name)?.loads).toBe('yes');
  });

  it('--help does not load TensorFlow.js and lists --json', () => {
    const { code, stdout, loads } = runRecordingTfjs(['doctor', '--help']);
    expect(code).toBe(0);
    expect(loads).toEqual({ main: [], workers: [] });
    expect(stdout).toContain('--json');
    expect(stdout).toContain('resnet-tutor doctor');
  });
});
