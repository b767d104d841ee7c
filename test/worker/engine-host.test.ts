import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/contracts/train-config.js';
import { createRunDir } from '../../src/runs/run-dir.js';
import { EngineHost, engineHostPerKind } from '../../src/worker/engine-host.js';
import { resolveLesionOptions, resolveVarianceOptions } from '../../src/contracts/probe-options.js';
import type { VarianceResult } from '../../src/contracts/probe-results.js';
import { UserError } from '../../src/util/errors.js';
import { probeCommand } from '../../src/commands/impl/probe.js';
import { ensureBuilt, tempDir } from '../helpers/cli.js';

/** A stand-in with the two members `engineHostPerKind` uses. */
function fakeHost(name: string, log: string[]) {
  const host = { name, idleOnWasm: false, close: async () => void log.push(`closed ${name}`) };
  return host as unknown as EngineHost & { name: string; idleOnWasm: boolean };
}

describe('engineHostPerKind', () => {
  it('keeps one worker, and replaces it for the other kind of work only when it is idle on wasm', async () => {
    const log: string[] = [];
    let made = 0;
    const hosts = engineHostPerKind(() => fakeHost(`h${++made}`, log));
    const first = hosts.get(false) as ReturnType<typeof fakeHost>;
    expect(first.name).toBe('h1');
    expect(hosts.get(false)).toBe(first);
    // Busy (or a native build): kept, whatever the kind.
    expect(hosts.get(true)).toBe(first);
    // Idle on wasm, same kind: kept; no kind given (pause, stop): kept.
    first.idleOnWasm = true;
    expect(hosts.get(false)).toBe(first);
    expect(hosts.get()).toBe(first);
    // Idle on wasm, the other kind: a fresh worker.
    const second = hosts.get(true) as ReturnType<typeof fakeHost>;
    expect(second.name).toBe('h2');
    expect(log).toEqual(['closed h1']);
    await hosts.close();
    expect(log).toEqual(['closed h1', 'closed h2']);
  });
});

describe('EngineHost.idleOnWasm', () => {
  beforeAll(() => ensureBuilt());
  let host: EngineHost | null = null;
  afterEach(async () => {
    await host?.close();
    host = null;
  });

  /** Trains a tiny MLP to the end on `backend`; returns `idleOnWasm` before, at 'started', and after. */
  const trainTiny = async (backend: string): Promise<boolean[]> => {
    const h = (host = new EngineHost());
    const config = resolveConfig({
      depth: 1,
      width: 8,
      steps: 3,
      trainLimit: 64,
      valLimit: 16,
      batchSize: 16,
      dataset: 'synthetic-spiral',
    });
    const { id, path } = createRunDir(join(tempDir(), 'runs'), config, {});
    const seen: boolean[] = [h.idleOnWasm];
    const done = new Promise<void>((resolve) =>
      h.on((e) => {
        if (e.type === 'started') seen.push(h.idleOnWasm);
        if (e.type === 'done') resolve();
      }),
    );
    h.start(id, path, config, backend, false);
    await done;
    seen.push(h.idleOnWasm);
    return seen;
  };

  it('is false before the worker has said its backend and while a run trains, true once it is done on wasm', async () => {
    expect(await trainTiny('wasm')).toEqual([false, false, true]);
  }, 60_000);

  it('is never true on the cpu backend', async () => {
    expect(await trainTiny('cpu')).toEqual([false, false, false]);
  }, 60_000);
});

describe('EngineHost.probe', () => {
  beforeAll(() => ensureBuilt());
  let host: EngineHost | null = null;
  afterEach(async () => {
    await host?.close();
    host = null;
  });
  const request = {
    probe: 'variance',
    options: resolveVarianceOptions({
      arch: 'plain,residual',
      depth: '4',
      width: '16',
      batchSize: '32',
      repeats: '1',
      dataset: 'synthetic-spiral',
    }),
  } as const;

  it('runs a probe in the engine worker, reports its progress, and answers as `resnet-tutor probe` does', async () => {
    const h = (host = new EngineHost());
    const progress: string[] = [];
    const answer = await h.probe(request, 'wasm', (m) => progress.push(m));
    expect(answer.backend.name).toBe('wasm');
    expect(progress.length).toBeGreaterThan(0);
    const result = answer.result as VarianceResult;
    expect(result).toMatchObject({ probe: 'variance', depth: 4, width: 16, batchSize: 32, dataset: 'synthetic-spiral' });
    // The same probe through the command (`resnet-tutor probe variance ... --json`, its own engine
    // worker): the same numbers and backend.
    let json = '';
    const code = await probeCommand({
      what: 'variance',
      runRoot: tempDir(),
      json: true,
      raw: { arch: 'plain,residual', depth: '4', width: '16', batchSize: '32', repeats: '1', dataset: 'synthetic-spiral', backend: 'wasm' },
      out: (text) => (json += text),
      err: () => {},
    });
    expect(code).toBe(0);
    expect(JSON.parse(json)).toEqual({ ...result, backend: answer.backend });
  }, 120_000);

  it('rejects with a UserError when the worker refuses the request, and keeps serving', async () => {
    const h = (host = new EngineHost());
    // A run folder with no checkpoint yet: nothing to lesion.
    const config = resolveConfig({ depth: 2, width: 8, steps: 3, trainLimit: 64, valLimit: 16, dataset: 'synthetic-spiral' });
    const run = createRunDir(join(tempDir(), 'runs'), config, {});
    const lesion = { probe: 'lesion', options: resolveLesionOptions({}, { id: run.id, path: run.path, config }) } as const;
    await expect(h.probe(lesion, 'wasm')).rejects.toBeInstanceOf(UserError);
    // The worker is still there for the next request.
    expect((await h.probe(request, 'wasm')).result.probe).toBe('variance');
  }, 120_000);
});
