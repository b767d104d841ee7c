import { appendFileSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { formatMetricsLine } from '../../src/runs/headless-format.js';
import { appendMetrics, RUN_FORMAT_VERSION, updateRunInfo } from '../../src/runs/run-dir.js';
import { RunTail, type TailEvent } from '../../src/runs/tail.js';
import { runCli, startCli, tempDir, waitFor, waitForExit } from '../helpers/cli.js';
import { fixtureLine, writeFixtureRun } from '../helpers/run-fixture.js';

const running = { status: 'running' as const, step: 0, bestValAccuracy: null };
const kinds = (events: TailEvent[]) =>
  events.map((e) => (e.type === 'metrics' ? `metrics ${e.line.step}` : e.type === 'run' ? `run ${e.info.status}` : e.type));

describe('RunTail', () => {
  it('delivers the lines already there, then only new whole lines and run.json changes', () => {
    const path = writeFixtureRun(tempDir('rt-tail-'), 'r1', { lines: 2, info: running });
    const tail = new RunTail(path);
    expect(kinds(tail.poll())).toEqual(['metrics 5', 'metrics 10', 'run running']);
    expect(tail.poll()).toEqual([]);

    appendMetrics(path, [fixtureLine(3)]);
    updateRunInfo(path, { step: 15 });
    expect(kinds(tail.poll())).toEqual(['metrics 15', 'run running']);
    expect(tail.info?.step).toBe(15);
  });

  it('waits for the newline of a torn last line', () => {
    const path = writeFixtureRun(tempDir('rt-tail-'), 'r1', { lines: 1, info: running });
    const tail = new RunTail(path);
    tail.poll();
    const text = JSON.stringify(fixtureLine(2));
    appendFileSync(join(path, 'metrics.jsonl'), text.slice(0, 40));
    expect(tail.poll()).toEqual([]);
    expect(tail.pendingText).toBe(text.slice(0, 40));
    appendFileSync(join(path, 'metrics.jsonl'), text.slice(40, 80));
    expect(tail.poll()).toEqual([]);
    appendFileSync(join(path, 'metrics.jsonl'), `${text.slice(80)}\n`);
    expect(kinds(tail.poll())).toEqual(['metrics 10']);
    expect(tail.pendingText).toBe('');
  });

  it('notices a file cut back by a resume, then follows the repeated steps', () => {
    const path = writeFixtureRun(tempDir('rt-tail-'), 'r1', { lines: 4, info: running });
    const tail = new RunTail(path);
    tail.poll();
    const file = join(path, 'metrics.jsonl');
    const two = `${JSON.stringify(fixtureLine(1))}\n${JSON.stringify(fixtureLine(2))}\n`;
    truncateSync(file, Buffer.byteLength(two));
    expect(kinds(tail.poll())).toEqual(['truncated']);
    appendMetrics(path, [fixtureLine(3)]);
    expect(kinds(tail.poll())).toEqual(['metrics 15']);
    expect(statSync(file).size).toBeGreaterThan(Buffer.byteLength(two));
  });

  it('backlog keeps only the newest existing lines', () => {
    const path = writeFixtureRun(tempDir('rt-tail-'), 'r1', { lines: 5, info: running });
    const tail = new RunTail(path, { backlog: 2 });
    expect(kinds(tail.poll())).toEqual(['metrics 20', 'metrics 25', 'run running']);
    expect(tail.skippedBacklog).toBe(3);
    appendMetrics(path, [fixtureLine(6), fixtureLine(7), fixtureLine(8)]);
    expect(kinds(tail.poll())).toEqual(['metrics 30', 'metrics 35', 'metrics 40']);
  });

  it('reports a whole line that is not a metrics object and goes on', () => {
    const path = writeFixtureRun(tempDir('rt-tail-'), 'r1', { lines: 0, info: running });
    const tail = new RunTail(path);
    tail.poll();
    appendFileSync(join(path, 'metrics.jsonl'), `{"step": 1, oops\n${JSON.stringify(fixtureLine(1))}\n`);
    expect(kinds(tail.poll())).toEqual(['unreadable', 'metrics 5']);
  });

  it('a metrics line of a newer format ends the tail with an error naming the file and the version', async () => {
    const path = writeFixtureRun(tempDir('rt-tail-'), 'r1', { lines: 1, info: running });
    const tail = new RunTail(path);
    tail.poll();
    const newer = RUN_FORMAT_VERSION + 1;
    appendFileSync(join(path, 'metrics.jsonl'), `${JSON.stringify({ ...fixtureLine(2), formatVersion: newer })}\n`);
    const message = `${join(path, 'metrics.jsonl')} was written by a newer resnet-tutor (run-folder format ${newer}; this version reads formats up to ${RUN_FORMAT_VERSION})`;
    expect(() => tail.poll()).toThrow(message);
    // The iterator rejects with the same error instead of waiting for lines it cannot read.
    const again = new RunTail(path, { intervalMs: 20 });
    const seen: string[] = [];
    const iterate = async () => {
      for await (const e of again) seen.push(...kinds([e]));
    };
    await expect(iterate()).rejects.toThrow(message);
    expect(seen).toEqual([]);
    // A malformed version is one damaged line, not the end.
    const other = writeFixtureRun(tempDir('rt-tail-'), 'r2', { lines: 0, info: running });
    appendFileSync(join(other, 'metrics.jsonl'), `${JSON.stringify({ ...fixtureLine(1), formatVersion: 'one' })}\n`);
    const events = new RunTail(other).poll();
    expect(kinds(events)).toEqual(['unreadable', 'run running']);
    expect(events[0]?.type === 'unreadable' && events[0].reason).toMatch(/"formatVersion" is "one"/);
  });

  it('a run.json of a newer format ends the tail too', () => {
    const path = writeFixtureRun(tempDir('rt-tail-'), 'r1', { lines: 1, info: running });
    const tail = new RunTail(path);
    tail.poll();
    const info = JSON.parse(readFileSync(join(path, 'run.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(path, 'run.json'), JSON.stringify({ ...info, formatVersion: RUN_FORMAT_VERSION + 1, step: 10 }));
    expect(() => tail.poll()).toThrow(`${join(path, 'run.json')} was written by a newer resnet-tutor`);
  });

  it('is an async iterator that ends when stopped', async () => {
    const path = writeFixtureRun(tempDir('rt-tail-'), 'r1', { lines: 1, info: running });
    const tail = new RunTail(path, { intervalMs: 20 });
    const seen: string[] = [];
    setTimeout(() => appendMetrics(path, [fixtureLine(2)]), 60);
    for await (const e of tail) {
      seen.push(...kinds([e]));
      if (seen.includes('metrics 10')) tail.stop();
    }
    expect(seen).toEqual(['metrics 5', 'run running', 'metrics 10']);
  });
});

describe('resnet-tutor watch', () => {
  const batch = 64;

  /** Starts `watch` on a fixture run marked running, once its header is out. */
  async function watching(lines = 2) {
    const root = tempDir('rt-watch-');
    const path = writeFixtureRun(root, '20260101-100000-mlp-residual-bn-d3', { lines, info: running });
    const child = startCli(['watch', '2026', '--run-dir', root, '--interval', '0.1']);
    await waitFor(() => child.output().stdout.includes('Ctrl-C stops watching'), 30_000, 'the watch header');
    return { root, path, child };
  }

  it('prints new lines as headless train does, holds a torn line, and exits 0 when the run completes', async () => {
    const { path, child } = await watching();
    const out = () => child.output().stdout;
    await waitFor(() => out().includes(formatMetricsLine(fixtureLine(2), 40, batch)), 30_000, 'the existing lines');
    expect(out()).toContain(formatMetricsLine(fixtureLine(1), 40, batch));

    appendMetrics(path, [fixtureLine(3)]);
    await waitFor(() => out().includes(formatMetricsLine(fixtureLine(3), 40, batch)), 30_000, 'a new line');

    const torn = JSON.stringify(fixtureLine(4));
    appendFileSync(join(path, 'metrics.jsonl'), torn.slice(0, 50));
    await new Promise((r) => setTimeout(r, 600)); // several polls
    expect(out()).not.toContain('step 20/40');

    appendFileSync(join(path, 'metrics.jsonl'), `${torn.slice(50)}\n`);
    await waitFor(() => out().includes(formatMetricsLine(fixtureLine(4), 40, batch)), 30_000, 'the completed line');

    updateRunInfo(path, { status: 'completed', step: 40 });
    const { code } = await waitForExit(child);
    expect(code).toBe(0);
    expect(out()).toContain('status running -> completed');
    expect(out()).toMatch(/completed at step 40\/40\. Summary: `resnet-tutor report 20260101-100000-mlp-residual-bn-d3`\n$/);
    expect(child.output().stderr).toBe('');
    expect(out()).not.toMatch(/\u001b\[|\r/);
  });

  it.each([
    ['diverged', 2],
    ['interrupted', 130],
    ['failed', 1],
  ] as const)('exits %s with code %i', async (status, expected) => {
    const { path, child } = await watching();
    updateRunInfo(path, { status, reason: `test ${status}` });
    const { code } = await waitForExit(child);
    expect(code).toBe(expected);
    expect(child.output().stdout).toContain(`status running -> ${status}`);
  });

  it('Ctrl-C stops watching with exit 0 and leaves the run alone', async () => {
    const { path, child } = await watching();
    child.kill('SIGINT');
    const { code } = await waitForExit(child);
    expect(code).toBe(0);
    expect(child.output().stdout).toContain('stopped watching 20260101-100000-mlp-residual-bn-d3; the run is not affected.');
    expect((JSON.parse(readFileSync(join(path, 'run.json'), 'utf8')) as { status: string }).status).toBe('running');
  });

  it('a run that already ended prints its last lines and exits with its code', () => {
    const root = tempDir('rt-watch-');
    writeFixtureRun(root, 'done-run', { lines: 12 });
    const r = runCli(['watch', 'done-run', '--run-dir', root]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(2 earlier lines not shown; all of them: `resnet-tutor report done-run --csv`)');
    expect(r.stdout).not.toContain(formatMetricsLine(fixtureLine(2), 40, batch));
    expect(r.stdout).toContain(formatMetricsLine(fixtureLine(12), 40, batch));
    expect(r.stdout).toContain('done-run was already completed at step 40/40');
  });

  it('an unknown run exits 1 naming the run dir', () => {
    const root = tempDir('rt-watch-');
    const r = runCli(['watch', 'nope', '--run-dir', root]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `resnet-tutor: No run "nope" in ${root}. That folder has no runs. List them with \`resnet-tutor runs --run-dir ${root}\`, or pass a run folder's path.\n`,
    );
  });
});

describe('watch: which runs', () => {
  it('with no argument follows the newest running run', () => {
    const root = tempDir('rt-watch-');
    writeFixtureRun(root, 'old-running', {
      lines: 2,
      info: { status: 'running', created: '2026-01-01T08:00:00.000Z', updated: new Date().toISOString() },
    });
    writeFixtureRun(root, 'newest-done', { lines: 2, info: { created: '2026-01-01T12:00:00.000Z' } });
    const newest = writeFixtureRun(root, 'new-running', {
      lines: 3,
      info: { status: 'running', created: '2026-01-01T11:00:00.000Z', updated: new Date().toISOString() },
    });
    const child = startCli(['watch', '--run-dir', root, '--interval', '0.1']);
    return (async () => {
      try {
        await waitFor(() => child.output().stdout.includes('Ctrl-C stops watching'), 30_000, 'the watch header');
        expect(child.output().stdout).toMatch(/^following the newest running run, new-running\nwatching new-running in /);
        updateRunInfo(newest, { status: 'completed', step: 40 });
        const { code } = await waitForExit(child);
        expect(code).toBe(0);
      } finally {
        child.kill();
      }
    })();
  });

  it('with no argument and nothing running says so and names the newest runs', () => {
    const root = tempDir('rt-watch-');
    writeFixtureRun(root, 'done-run', { lines: 2 });
    const r = runCli(['watch', '--run-dir', root]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^resnet-tutor: No run is running in .*; the newest: done-run \(completed\)\. Name the run to look at/);
  });

  it('a,b follows several existing runs in plain lines, each line naming its run, and exits with the worst code', async () => {
    const root = tempDir('rt-watch-');
    writeFixtureRun(root, '20260101-100000-plain', { lines: 2, info: running });
    const b = writeFixtureRun(root, '20260101-110000-resnet', { lines: 2, info: running });
    const child = startCli(['watch', '20260101-100000-plain,20260101-110000', '--run-dir', root, '--interval', '0.1']);
    const out = () => child.output().stdout;
    onTestFinished(() => {
      child.kill();
    });
    await waitFor(() => (out().match(/Ctrl-C stops watching/g) ?? []).length === 2, 30_000, 'both headers');
    expect(out()).toContain('[100000-plain] watching 20260101-100000-plain in ');
    expect(out()).toContain(`[110000-resnet] ${formatMetricsLine(fixtureLine(2), 40, 64)}`);
    updateRunInfo(b, { status: 'diverged', reason: 'loss became NaN' });
    await waitFor(() => out().includes('[110000-resnet] 20260101-110000-resnet diverged'), 30_000, 'the divergence');
    expect(child.exitCode).toBeNull(); // the other run still trains
    updateRunInfo(join(root, '20260101-100000-plain'), { status: 'completed', step: 40 });
    const { code } = await waitForExit(child);
    expect(code).toBe(2);
  });

  it('refuses an empty name in the list and more than four runs', () => {
    const root = tempDir('rt-watch-');
    for (const id of ['a1', 'a2', 'a3', 'a4', 'a5']) writeFixtureRun(root, id, { lines: 1 });
    const gap = runCli(['watch', 'a1,,a2', '--run-dir', root]);
    expect(gap.code).toBe(1);
    expect(gap.stderr).toMatch(/^resnet-tutor: "a1,,a2" has an empty run name/);
    const many = runCli(['watch', 'a1,a2,a3,a4,a5', '--run-dir', root]);
    expect(many.code).toBe(1);
    expect(many.stderr).toMatch(/^resnet-tutor: watch overlays at most 4 runs on one chart; "a1,a2,a3,a4,a5" names 5\./);
  });
});

/** A running fixture run `r` with one metrics line, watched until its header is out; killed when the test ends. */
async function watchingOneRun(): Promise<{ path: string; child: ReturnType<typeof startCli> }> {
  const root = tempDir('rt-watch-');
  const path = writeFixtureRun(root, 'r', { lines: 1, info: running });
  const child = startCli(['watch', 'r', '--run-dir', root, '--interval', '0.1']);
  onTestFinished(() => {
    child.kill();
  });
  await waitFor(() => child.output().stdout.includes('Ctrl-C stops watching'), 30_000, 'the watch header');
  return { path, child };
}

describe('watch: run.json damaged while watching', () => {
  it('an unknown status written later stops the wait with exit 1 instead of waiting forever', async () => {
    const { path, child } = await watchingOneRun();
    writeFileSync(
      join(path, 'run.json'),
      JSON.stringify({ ...JSON.parse(readFileSync(join(path, 'run.json'), 'utf8')), status: 'paused-forever' }),
    );
    const { code } = await waitForExit(child);
    expect(code).toBe(1);
    expect(child.output().stdout).toMatch(/run\.json now has no known status \("paused-forever"\); stopped watching\./);
  });
});

describe('watch: a run folder of a newer format', () => {
  const newer = RUN_FORMAT_VERSION + 1;
  const refusal = (file: string) =>
    `resnet-tutor: ${file} was written by a newer resnet-tutor (run-folder format ${newer}; this version reads formats up to ${RUN_FORMAT_VERSION}). Upgrade resnet-tutor`;

  it('refuses a run.json of a newer format at once, in one paragraph, exit 1', () => {
    const root = tempDir('rt-watch-');
    const path = writeFixtureRun(root, 'r', { lines: 1, info: running });
    const info = JSON.parse(readFileSync(join(path, 'run.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(path, 'run.json'), JSON.stringify({ ...info, formatVersion: newer }));
    const r = runCli(['watch', 'r', '--run-dir', root, '--interval', '0.1']);
    expect(r.code).toBe(1);
    expect(r.stderr.startsWith(refusal(join(path, 'run.json')))).toBe(true);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('stops with that error, exit 1, when a newer resnet-tutor writes a metrics line while watching', async () => {
    const { path, child } = await watchingOneRun();
    appendFileSync(join(path, 'metrics.jsonl'), `${JSON.stringify({ ...fixtureLine(2), formatVersion: newer })}\n`);
    const { code } = await waitForExit(child);
    expect(code).toBe(1);
    const { stderr } = child.output();
    expect(stderr.startsWith(refusal(join(path, 'metrics.jsonl')))).toBe(true);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).not.toMatch(/unexpected/i);
  });
});
