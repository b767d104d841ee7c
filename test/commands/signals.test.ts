import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readRunInfo } from '../../src/runs/run-dir.js';
import { ensureBuilt, startCli, tempDir, waitFor, waitForExit } from '../helpers/cli.js';

const LONG = [
  'train',
  ...['--steps', '100000', '--train-limit', '512', '--val-limit', '64', '--depth', '2', '--width', '16'],
  ...['--batch-size', '16', '--backend', 'wasm', '--log-every', '5', '--checkpoint-every', '0'],
];

const runIn = (root: string): string | null => {
  const ids = existsSync(root) ? readdirSync(root).filter((n) => existsSync(join(root, n, 'run.json'))) : [];
  return ids.length === 1 ? join(root, ids[0]!) : null;
};

/** Whether anything accepts connections on Node's inspector port. */
const inspectorOpen = (): Promise<boolean> =>
  new Promise((resolvePort) => {
    const socket = connect({ host: '127.0.0.1', port: 9229 });
    socket.once('connect', () => {
      socket.destroy();
      resolvePort(true);
    });
    socket.once('error', () => resolvePort(false));
  });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SIGNO = { SIGHUP: 1, SIGINT: 2, SIGUSR1: 10, SIGTERM: 15 } as const;

/** The signals a process catches (Linux: SigCgt in /proc/<pid>/status), or null once it is gone. */
const caught = (pid: number): bigint | null => {
  try {
    const m = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? BigInt(`0x${m[1]}`) : null;
  } catch {
    return null;
  }
};
const catches = (pid: number, signo: number) => ((caught(pid) ?? 0n) >> BigInt(signo - 1)) & 1n;

/**
 * Polls (1 ms) until `ready` holds for the child, then returns at once. The machine may be loaded, so
 * "startup" is told by what the process has done, not by elapsed time.
 */
async function when(child: ReturnType<typeof startCli>, ready: (pid: number) => boolean, what: string): Promise<void> {
  const start = Date.now();
  while (!ready(child.pid!)) {
    if (child.exitCode !== null || Date.now() - start > 60_000) throw new Error(`never saw ${what}`);
    await sleep(1);
  }
}

/** The instants of startup a signal is sent at. */
const INSTANTS: [string, (child: ReturnType<typeof startCli>) => Promise<void>][] = [
  // The first JavaScript line ran: SIGHUP is the last signal the entry module takes over (and one
  // Node never catches itself).
  ['as soon as the program handles signals', (c) => when(c, (pid) => catches(pid, SIGNO.SIGHUP) === 1n, 'the handlers')],
  ['while the engine worker starts', (c) => waitFor(() => /run \S+ in /.test(c.output().stdout), 60_000, 'the run line')],
];

beforeAll(() => ensureBuilt());

describe('signals during startup', () => {
  // Instants from "just started" to "the worker is loading": before and after the old handlers existed.
  for (const signal of ['SIGTERM', 'SIGHUP', 'SIGUSR1'] as const) {
    for (const [instant, reach] of INSTANTS) {
      it(`${signal} ${instant} stops the run: interrupted, exit 130, no debugger opened`, async () => {
        const root = tempDir();
        const child = startCli([...LONG, '--run-dir', root]);
        await reach(child);
        child.kill(signal);
        const { code, signal: killedBy } = await waitForExit(child);
        const { stdout, stderr } = child.output();
        expect(killedBy).toBeNull();
        expect(stderr).not.toMatch(/Debugger listening/);
        expect(code, stdout + stderr).toBe(130);
        const run = runIn(root);
        expect(run).not.toBeNull();
        expect(readRunInfo(run!).status).toBe('interrupted');
        expect(stdout).toMatch(/interrupted at step \d+\/100000; .*resnet-tutor resume/);
        expect(stdout.match(/^step +\d+\/100000/gm)?.length ?? 0).toBeLessThan(3);
      });
    }
  }

  it('SIGUSR1 while Node itself starts (before any JavaScript): the inspector is closed and the run stops', async () => {
    const root = tempDir();
    const child = startCli([...LONG, '--run-dir', root]);
    // Node's own SIGUSR1 handler (the inspector's) is in place, ours not yet.
    await when(child, (pid) => catches(pid, SIGNO.SIGUSR1) === 1n && catches(pid, SIGNO.SIGHUP) === 0n, "Node's SIGUSR1 handler");
    child.kill('SIGUSR1');
    await waitFor(() => child.exitCode !== null || /run \S+ in /.test(child.output().stdout), 60_000, 'the run to start');
    const open = await inspectorOpen();
    const { code } = await waitForExit(child);
    expect(open, 'the inspector port is still open').toBe(false);
    expect(code, child.output().stderr).toBe(130);
    expect(readRunInfo(runIn(root)!).status).toBe('interrupted');
  });

  it('a double Ctrl-C during startup exits 130 and leaves no run marked running', async () => {
    const root = tempDir();
    const child = startCli([...LONG, '--run-dir', root]);
    await INSTANTS[0]![1](child);
    child.kill('SIGINT');
    await sleep(5);
    child.kill('SIGINT');
    const { code } = await waitForExit(child);
    expect(code).toBe(130);
    expect(child.output().stderr).toMatch(/second interrupt: exiting now/);
    const run = runIn(root);
    if (run) expect(readRunInfo(run).status).not.toBe('running');
  });
});

describe('a signal after the run completed', () => {
  it('does not kill the finished process: it exits with the run`s real code', async () => {
    const root = tempDir();
    const child = startCli([...LONG, '--steps', '6', '--run-dir', root]);
    await waitFor(() => /completed \S+ at step 6\/6/.test(child.output().stdout) || child.exitCode !== null, 60_000, 'completion');
    child.kill('SIGTERM');
    const { code, signal } = await waitForExit(child);
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(readRunInfo(runIn(root)!).status).toBe('completed');
  });
});
