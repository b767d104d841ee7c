import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRunInfo } from '../../src/runs/run-dir.js';
import { CLI, ensureBuilt, tempDir, waitFor } from '../helpers/cli.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const session = `rt-e2e-${process.pid}`;
// A server of its own (-L): the test neither sees nor disturbs the user's tmux sessions.
const socket = ['-L', `rt-e2e-${process.pid}`];
const tmux = (...args: string[]) => execFileSync('tmux', [...socket, ...args], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-t', session, '-p');

afterAll(() => {
  if (hasTmux) spawnSync('tmux', [...socket, 'kill-server']);
});

/** Drives the real program in a real terminal, as a user on an SSH session would. */
describe.skipIf(!hasTmux)('dashboard in tmux (80x24)', () => {
  it('start a short train, see the dashboard, pause, resume, quit with a checkpoint', async () => {
    ensureBuilt();
    const root = tempDir();
    const done = join(root, 'exit-code');
    // CI=false: the test itself runs under CI=true, where the program (like Ink) would fall back to lines.
    const cmd = `CI=false ${process.execPath} ${CLI} train --steps 100000 --train-limit 1024 --val-limit 64 --depth 3 --width 32 --batch-size 32 --log-every 5 --checkpoint-every 0 --backend wasm --run-dir ${root}; echo $? > ${done}; sleep 30`;
    tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', cmd);
    await waitFor(() => /\d+\/100000/.test(screen()) && screen().includes('Loss'), 60_000, 'the dashboard');
    let s = screen();
    expect(s).toContain('[1 Loss]');
    expect(s).toMatch(/running\s*$/m);
    expect(s).toContain('wasm backend');
    for (const line of s.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);

    tmux('send-keys', '-t', session, 'p');
    await waitFor(() => /paused\s*$/m.test(screen()), 10_000, 'paused status');
    const stepOf = (text: string) => Number(/(\d+)\/100000/.exec(text)?.[1]);
    const pausedAt = stepOf(screen());
    await new Promise((r) => setTimeout(r, 1500));
    expect(stepOf(screen())).toBe(pausedAt);

    tmux('send-keys', '-t', session, 'p');
    await waitFor(() => /running\s*$/m.test(screen()) && stepOf(screen()) > pausedAt, 20_000, 'training to go on');

    tmux('send-keys', '-t', session, '2');
    await waitFor(() => screen().includes('Gradient norm'), 5_000, 'gradient panel');

    tmux('send-keys', '-t', session, 'q');
    await waitFor(() => screen().includes('Quit? s = stop with a checkpoint'), 5_000, 'quit prompt');
    tmux('send-keys', '-t', session, 's');
    await waitFor(() => existsSync(done) && readFileSync(done, 'utf8').trim() !== '', 30_000, 'exit');
    expect(readFileSync(done, 'utf8').trim()).toBe('130');
    s = screen();
    expect(s).toMatch(/continue with `resnet-tutor resume /);
    const run = join(root, readdirSync(root)[0]!);
    const info = readRunInfo(run);
    expect(info.status).toBe('interrupted');
    expect(existsSync(join(run, `ckpt-${info.step}`, 'manifest.json'))).toBe(true);
  });
});
