import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt, tempDir, waitFor } from '../helpers/cli.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const session = `rt-tutor-${process.pid}`;
// A server of its own (-L): the test neither sees nor disturbs the user's tmux sessions.
const socket = ['-L', `rt-tutor-${process.pid}`];
const tmux = (...args: string[]) => execFileSync('tmux', [...socket, ...args], { encoding: 'utf8' });
const LESSONS = resolve(import.meta.dirname, '../fixtures/tutor-e2e');
const HEADER = /^Lesson 1 · End-to-end lesson +step \d\/6 · /;

afterAll(() => {
  if (hasTmux) spawnSync('tmux', [...socket, 'kill-server']);
});

/** Every screen seen while waiting, so the layout can be checked frame by frame, not only at the end. */
const frames: string[] = [];
const screen = () => {
  const s = tmux('capture-pane', '-t', session, '-p');
  if (frames[frames.length - 1] !== s) frames.push(s);
  return s;
};
const send = (...keys: string[]) => tmux('send-keys', '-t', session, ...keys);

/** The real tutor in a real 80x24 terminal, as a student on a small SSH window runs it. */
describe.skipIf(!hasTmux)('tutor in tmux (80x24)', () => {
  it('runs a training and a probe experiment; the lesson header never scrolls away and each ends with its result', async () => {
    ensureBuilt();
    const root = tempDir();
    const done = join(root, 'exit-code');
    // CI=false: the test itself runs under CI=true, where the program (like Ink) would fall back to lines.
    const env = `CI=false RESNET_TUTOR_CONFIG_DIR=${join(root, 'config')} XDG_DATA_HOME=${join(root, 'data')} LANG=C.UTF-8`;
    const cmd = `cd ${root} && ${env} ${process.execPath} ${CLI} learn 1 --lessons ${LESSONS} --backend wasm --run-dir ${join(root, 'runs')}; echo $? > ${done}; sleep 30`;
    tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', cmd);
    await waitFor(() => screen().includes('Pick a.'), 60_000, 'the first question');
    send('a', 'Enter');
    await waitFor(() => screen().includes('Right.'), 10_000, 'the answer graded');
    send('Enter');
    await waitFor(() => screen().includes('step 2/6 · experiment'), 10_000, 'the training experiment');
    send('Enter');
    await waitFor(() => /depth 4 +step \d+\/40/.test(screen()), 120_000, 'training to start');
    await waitFor(() => screen().includes('Measured (final train loss)'), 240_000, 'the training experiment to end');
    expect(screen()).toMatch(/Measured \(final train loss\):?\s.*depth 2/s);
    // The evidence is on the first screen: the verdict, the numbers and the chart's legend.
    expect(screen()).toMatch(/\[(HELD|DID NOT HOLD|UNDECIDED)\] /);
    expect(screen()).toMatch(/(──|··) depth 2/);
    expect(screen()).toMatch(/(──|··) depth 4/);
    send('Enter');
    await waitFor(() => screen().includes('step 3/6 · experiment'), 10_000, 'the probe experiment');
    send('Enter');
    await waitFor(() => screen().includes('Measured (growth per block)'), 240_000, 'the probe experiment to end');
    expect(screen()).toMatch(/\[(HELD|DID NOT HOLD|UNDECIDED)\] /);
    expect(screen()).toMatch(/(──|··|\+\+) residual/);
    send('q');
    await waitFor(() => screen().includes('Enter open'), 10_000, 'the menu');
    send('q');
    await waitFor(() => existsSync(done) && readFileSync(done, 'utf8').trim() !== '', 30_000, 'exit');
    expect(readFileSync(done, 'utf8').trim()).toBe('0');

    // Frame by frame: inside the lesson, the first line is always its header, and nothing is wider than the pane.
    // (Before the first frame the pane is blank; the menu, at the end, is the one other screen.)
    const lessonFrames = frames.filter((f) => f.trim() !== '' && !f.startsWith('resnet-tutor: Residual Networks'));
    expect(lessonFrames.length).toBeGreaterThan(5);
    for (const f of lessonFrames) {
      const lines = f.split('\n');
      expect(lines[0]).toMatch(HEADER);
      for (const l of lines) expect([...l].length).toBeLessThanOrEqual(80);
    }
    // The runs were seen while they ran, not only at the end.
    expect(lessonFrames.some((f) => /depth 2 +step \d+\/40/.test(f))).toBe(true);
  }, 600_000);
});
