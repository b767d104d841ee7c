import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { appendMetrics, readRunInfo, RUN_FORMAT_VERSION, updateRunInfo } from '../../src/runs/run-dir.js';
import { CLI, ensureBuilt, tempDir, waitFor } from '../helpers/cli.js';
import { fixtureLine, writeFixtureRun } from '../helpers/run-fixture.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const session = `rt-e2e-watch-${process.pid}`;
// A server of its own (-L): the test neither sees nor disturbs the user's tmux sessions.
const socket = ['-L', `rt-e2e-watch-${process.pid}`];
const tmux = (...args: string[]) => execFileSync('tmux', [...socket, ...args], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-t', session, '-p');

afterAll(() => {
  if (hasTmux) spawnSync('tmux', [...socket, 'kill-server']);
});

/** `watch` in a real 80x24 terminal: the read-only dashboard of a run another process writes. */
describe.skipIf(!hasTmux)('watch in tmux (80x24)', () => {
  it('shows the dashboard of a growing run, follows it, and q leaves it running', async () => {
    ensureBuilt();
    const root = tempDir('rt-tmux-watch-');
    const id = '20260101-100000-mlp-residual-bn-d3';
    const path = writeFixtureRun(root, id, { lines: 2, info: { status: 'running', step: 10, updated: new Date().toISOString() } });
    const done = join(root, 'exit-code');
    // A module hook that logs every @tensorflow import: the watching process must load none.
    const loads = join(root, 'tfjs-loads.log');
    const hook = join(root, 'hook.mjs');
    writeFileSync(
      hook,
      `import { appendFileSync } from 'node:fs';\nexport async function resolve(s, c, next) {\n  if (s.includes('@tensorflow')) appendFileSync(${JSON.stringify(loads)}, s + '\\n');\n  return next(s, c);\n}\n`,
    );
    const register = join(root, 'register.mjs');
    writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hook).href)});\n`);
    // CI=false: the test itself may run under CI=true, where the program falls back to plain lines.
    const cmd = `CI=false ${process.execPath} --import ${register} ${CLI} watch --run-dir ${root} --interval 0.2; echo $? > ${done}; sleep 30`;
    tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', cmd);
    await waitFor(() => screen().includes(`run ${id}`) && screen().includes('[1 Loss]'), 30_000, 'the dashboard');
    await waitFor(() => screen().includes('10/40'), 10_000, 'the step');
    expect(screen()).toContain('q leave');
    expect(screen()).not.toContain('p pause');

    appendMetrics(
      path,
      [3, 4, 5].map((i) => fixtureLine(i)),
    );
    updateRunInfo(path, { step: 25 });
    await waitFor(() => screen().includes('25/40'), 10_000, 'the new lines');
    for (const line of screen().split('\n')) expect([...line].length).toBeLessThanOrEqual(80);

    // (p and c doing nothing is the ink test's; keys sent together would reach Ink as one input.)
    tmux('send-keys', '-t', session, 'q');
    await waitFor(() => existsSync(done) && readFileSync(done, 'utf8').trim() !== '', 10_000, 'exit');
    expect(readFileSync(done, 'utf8').trim()).toBe('0');
    expect(screen()).toContain(`${id}: running at step 25\nstopped watching; the run is not affected.`);
    expect(readRunInfo(path).status).toBe('running');
    expect(existsSync(loads) ? readFileSync(loads, 'utf8') : '').toBe('');
  });

  it('a metrics line of a newer format written mid-watch closes the screen with the one-paragraph error, exit 1', async () => {
    ensureBuilt();
    const root = tempDir('rt-tmux-watch-');
    const id = 'newer-mid-watch';
    const path = writeFixtureRun(root, id, { lines: 2, info: { status: 'running', step: 10, updated: new Date().toISOString() } });
    const done = join(root, 'exit-code');
    const name = `${session}-newer`;
    const cmd = `CI=false ${process.execPath} ${CLI} watch ${id} --run-dir ${root} --interval 0.2; echo $? > ${done}; sleep 30`;
    tmux('new-session', '-d', '-s', name, '-x', '80', '-y', '24', cmd);
    const pane = () => tmux('capture-pane', '-t', name, '-p');
    await waitFor(() => pane().includes('10/40'), 30_000, 'the dashboard');
    const newer = RUN_FORMAT_VERSION + 1;
    appendFileSync(join(path, 'metrics.jsonl'), `${JSON.stringify({ ...fixtureLine(3), formatVersion: newer })}\n`);
    await waitFor(() => existsSync(done) && readFileSync(done, 'utf8').trim() !== '', 10_000, 'exit');
    expect(readFileSync(done, 'utf8').trim()).toBe('1');
    const text = pane().replace(/\n/g, '');
    expect(text).toContain(`resnet-tutor: ${join(path, 'metrics.jsonl')} was written by a newer resnet-tutor`);
    expect(text).not.toContain('unexpected');
    tmux('kill-session', '-t', name);
  });
});
