import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { WASM_THREADS_ENV, glueScript, wasmOutDir, wasmThreadCount, workerScript } from '../../src/engine/wasm-threads.js';
import { ensureBuilt, runCli, tempDir } from '../helpers/cli.js';

describe('wasmThreadCount', () => {
  it('gives convolutional nets the cores this process may use, at most 4, and MLPs one', () => {
    expect(wasmThreadCount(true, {}, 1)).toEqual({ threads: 1 });
    expect(wasmThreadCount(true, {}, 2)).toEqual({ threads: 2 });
    expect(wasmThreadCount(true, {}, 64)).toEqual({ threads: 4 });
    expect(wasmThreadCount(true, { [WASM_THREADS_ENV]: ' ' }, 2)).toEqual({ threads: 2 });
    expect(wasmThreadCount(false, {}, 64)).toEqual({ threads: 1 });
  });

  it(`takes ${WASM_THREADS_ENV} from 1 to 4, for every net`, () => {
    expect(wasmThreadCount(true, { [WASM_THREADS_ENV]: '1' }, 8)).toEqual({ threads: 1 });
    expect(wasmThreadCount(false, { [WASM_THREADS_ENV]: '3' }, 2)).toEqual({ threads: 3 });
  });

  it.each(['0', '-2', 'two', '2.5', '8'])('%s is refused with the fallback named', (raw) => {
    const r = wasmThreadCount(true, { [WASM_THREADS_ENV]: raw }, 2);
    expect(r.threads).toBe(2);
    expect(r.problem).toContain(`${WASM_THREADS_ENV}='${raw}' is not a whole number from 1 to 4`);
    expect(r.problem).toContain('using 2 threads');
  });
});

describe('glueScript', () => {
  it("sizes the installed glue's pthread pool to the thread count (a tfjs upgrade that changes it fails here)", () => {
    const glue = glueScript(wasmOutDir(), 2);
    expect(glue).toContain('var pthreadPoolSize=2;');
    expect(glue).not.toContain('var pthreadPoolSize=8;');
  });

  it('starts pthread workers from source, and their script evaluates the glue it embeds, never a path', () => {
    const glue = glueScript(wasmOutDir(), 2);
    expect(glue).toContain('worker=new Worker(pthreadMainJs,{eval:true})');
    const worker = workerScript(wasmOutDir(), glue);
    expect(worker).not.toContain('(0,eval)(fs.readFileSync(f');
    expect(worker).toContain(JSON.stringify(glue));
  });
});

// The threaded build runs in its own process: one process keeps whichever wasm build it started.
describe('the threaded wasm build, end to end', () => {
  beforeAll(() => ensureBuilt());

  const train = (threads: string) => {
    const r = runCli(
      [
        'train',
        ...['--net', 'cnn', '--depth', '8', '--steps', '4', '--log-every', '1', '--json', '--backend', 'wasm'],
        ...['--seed', '5', '--train-limit', '128', '--val-limit', '16', '--batch-size', '16', '--run-dir', tempDir()],
      ],
      { env: { [WASM_THREADS_ENV]: threads }, timeoutMs: 90_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.code, 'the pool threads must not keep the process alive').toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event?: string; backend?: { device: string }; loss?: number; gradNorms?: number[] });
    return {
      device: lines.find((l) => l.event === 'started')?.backend?.device,
      losses: lines.filter((l) => typeof l.loss === 'number').map((l) => l.loss!),
      gradNorms: lines.filter((l) => l.gradNorms).flatMap((l) => l.gradNorms!),
    };
  };

  it('trains a CNN on 2 threads to the same numbers as on 1, and says so in the header', () => {
    const one = train('1');
    const two = train('2');
    expect(one.device).toBe('CPU (wasm, SIMD, 1 thread)');
    expect(two.device).toBe('CPU (wasm, SIMD, 2 threads)');
    expect(two.losses).toHaveLength(4);
    // Threads split the work by output tile, so each sum is still taken in the same order.
    for (let i = 0; i < one.losses.length; i++) expect(two.losses[i]).toBeCloseTo(one.losses[i]!, 4);
    expect(two.gradNorms.length).toBe(one.gradNorms.length);
    for (let i = 0; i < one.gradNorms.length; i++) expect(two.gradNorms[i]).toBeCloseTo(one.gradNorms[i]!, 3);
  });

  it('an MLP keeps one thread unless told otherwise', () => {
    const r = runCli(
      ['train', '--steps', '2', '--json', '--train-limit', '64', '--val-limit', '16', '--backend', 'wasm', '--run-dir', tempDir()],
      {
        env: { [WASM_THREADS_ENV]: '' },
      },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"device":"CPU (wasm, SIMD, 1 thread)"');
  });

  it('a malformed thread count is a warning, not a failure', () => {
    const r = runCli(
      [
        'train',
        '--net',
        'cnn',
        '--depth',
        '8',
        '--steps',
        '2',
        '--train-limit',
        '64',
        '--val-limit',
        '16',
        '--backend',
        'wasm',
        '--run-dir',
        tempDir(),
      ],
      {
        env: { [WASM_THREADS_ENV]: 'lots' },
      },
    );
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).toContain(`${WASM_THREADS_ENV}='lots' is not a whole number from 1 to 4`);
  });
});

describe('when the threaded build cannot start', () => {
  beforeAll(() => ensureBuilt());

  it('the run goes on with one thread, and the header says why', () => {
    const r = runCli(
      [
        'train',
        ...['--net', 'cnn', '--depth', '8', '--steps', '2', '--dataset', 'synthetic-shapes'],
        ...['--train-limit', '64', '--val-limit', '16', '--backend', 'wasm', '--run-dir', tempDir()],
      ],
      { env: { RESNET_TUTOR_FAULTS: 'no-wasm-threads', [WASM_THREADS_ENV]: '2' } },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('computing on CPU (wasm, SIMD, 1 thread)');
    expect(r.stdout).toMatch(/warning: The multi-threaded wasm build did not start \(.*no-wasm-threads.*\); using one thread/);
    expect(r.stdout).toContain('completed');
  });
});

describe('a hostile cache folder (another local user can write it)', () => {
  beforeAll(() => ensureBuilt());

  /**
   * Plants scripts under every name the loader ever cached (and a few more) that write a marker file
   * if anything runs them, in a cache folder that is world-writable, owned by someone else, or a
   * symlink to such a folder. The threaded build must start and run none of them: it runs only the
   * package's code, from memory.
   */
  const plant = (dir: string, marker: string) => {
    mkdirSync(dir, { recursive: true });
    const evil = `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'pwned');\n`;
    for (const name of ['wasm-glue', 'wasm-worker']) writeFileSync(join(dir, `${name}-0000000000000000.cjs`), evil);
    for (const name of ['tfjs-backend-wasm-threaded-simd.js', 'tfjs-backend-wasm-threaded-simd.worker.js'])
      writeFileSync(join(dir, name), evil);
  };

  const cases: [string, (base: string) => string][] = [
    [
      'world-writable',
      (base) => {
        const cache = join(base, 'cache');
        mkdirSync(join(cache, 'resnet-tutor'), { recursive: true });
        chmodSync(cache, 0o777);
        chmodSync(join(cache, 'resnet-tutor'), 0o777);
        return cache;
      },
    ],
    [
      "someone else's",
      (base) => {
        const cache = join(base, 'cache');
        mkdirSync(join(cache, 'resnet-tutor'), { recursive: true });
        // As root here, chown to nobody simulates another user's folder.
        if (process.getuid?.() === 0) chownSync(join(cache, 'resnet-tutor'), 65534, 65534);
        return cache;
      },
    ],
    [
      'symlinked',
      (base) => {
        const elsewhere = join(base, 'elsewhere');
        mkdirSync(elsewhere, { recursive: true, mode: 0o777 });
        const cache = join(base, 'cache');
        mkdirSync(cache);
        symlinkSync(elsewhere, join(cache, 'resnet-tutor'));
        return cache;
      },
    ],
  ];
  for (const [what, make] of cases) {
    it(`${what}: the threaded build starts and runs nothing planted there`, () => {
      const base = tempDir();
      const cache = make(base);
      const marker = join(base, 'PWNED');
      plant(join(cache, 'resnet-tutor'), marker);
      const before = readdirSync(join(cache, 'resnet-tutor')).sort();
      const r = runCli(
        [
          'train',
          ...['--net', 'cnn', '--depth', '8', '--steps', '2', '--dataset', 'synthetic-shapes', '--json'],
          ...['--train-limit', '64', '--val-limit', '16', '--backend', 'wasm', '--run-dir', join(base, 'runs')],
        ],
        { env: { XDG_CACHE_HOME: cache, [WASM_THREADS_ENV]: '2' } },
      );
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('"device":"CPU (wasm, SIMD, 2 threads)"');
      expect(existsSync(marker), 'planted code ran').toBe(false);
      // The loader writes nothing there (it used to cache its scripts there, then re-open them by path).
      expect(readdirSync(join(cache, 'resnet-tutor')).sort()).toEqual(before);
    });
  }
});
