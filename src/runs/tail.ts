import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { MetricsLine } from '../contracts/run-folder.js';
import { formatVersionProblem, METRICS_FILE, RUN_FILE, type RunInfo } from './run-dir.js';

/**
 * Follows a run folder that another process writes (headless under nohup or Slurm, or a second
 * terminal): new metrics.jsonl lines and run.json changes, as an async iterator. It polls rather
 * than using fs.watch, which misses changes on network file systems (NFS, Lustre) where cluster
 * run folders live. Used by `resnet-tutor watch` and, later, the live dashboard.
 *
 * A run.json or metrics line written by a newer resnet-tutor (a `formatVersion` above the one this
 * program reads: a newer version resumed the run while we watch) ends the tail: `poll()` throws the
 * UserError of `formatVersionProblem`, naming the file and the version, and the iterator rejects
 * with it. Its fields may mean something else, so showing them would be a guess.
 */
export type TailEvent =
  /** A new, whole metrics line. */
  | { readonly type: 'metrics'; readonly line: MetricsLine }
  /** run.json changed (`previous` is null the first time it is read). */
  | { readonly type: 'run'; readonly info: RunInfo; readonly previous: RunInfo | null }
  /**
   * metrics.jsonl got shorter: a resume dropped the lines after its checkpoint (the lines that
   * follow repeat those steps), or the file was replaced.
   */
  | { readonly type: 'truncated'; readonly size: number }
  /** A whole line that is not a metrics object (skipped). */
  | { readonly type: 'unreadable'; readonly text: string; readonly reason: string };

export interface TailOptions {
  /** Time between polls. @default 1000 */
  readonly intervalMs?: number;
  /**
   * How many of the lines already in metrics.jsonl to deliver first (the newest ones), like
   * `tail -n`. @default Infinity (all of them)
   */
  readonly backlog?: number;
}

/**
 * Poll results in the order they should be shown: whole metrics lines first, then a run.json
 * change. run.json is read before metrics.jsonl each time and the trainer appends a line before it
 * records the status that follows it, so the lines a final status covers are always delivered
 * before that status. A last line without its newline (still being written) waits for it.
 */
export class RunTail implements AsyncIterable<TailEvent> {
  readonly runPath: string;
  /** Whole lines in the file that `backlog` left out at the start. */
  skippedBacklog = 0;
  private readonly intervalMs: number;
  private backlog: number;
  private offset = 0;
  private partial = '';
  private decoder = new StringDecoder('utf8');
  private runText: string | null = null;
  private runInfo: RunInfo | null = null;
  private queue: TailEvent[] = [];
  private waiting: { resolve: (r: IteratorResult<TailEvent>) => void; reject: (err: unknown) => void } | null = null;
  /** Why the tail ended on its own (a newer format); the iterator rejects with it. */
  private failure: unknown = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private started = false;

  constructor(runPath: string, opts: TailOptions = {}) {
    this.runPath = runPath;
    this.intervalMs = opts.intervalMs ?? 1000;
    this.backlog = opts.backlog ?? Infinity;
  }

  /** The newest run.json read (null before the first poll, or while it has never been readable). */
  get info(): RunInfo | null {
    return this.runInfo;
  }

  /** The text of a last line still waiting for its newline ('' when there is none). */
  get pendingText(): string {
    return this.partial;
  }

  /** Stops polling; a pending `next()` resolves as done. Safe to call twice. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue = [];
    const w = this.waiting;
    this.waiting = null;
    w?.resolve({ done: true, value: undefined });
  }

  /** Ends the tail with an error: what is queued is still delivered, then the iterator rejects. */
  private fail(err: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.failure = err;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const w = this.waiting;
    this.waiting = null;
    w?.reject(err);
  }

  /**
   * Reads once now and returns what is new; the iterator calls this on its timer. Throws a UserError
   * for a run.json or metrics line of a newer format (the lines before it are lost to the caller:
   * the tail cannot go on anyway).
   */
  poll(): TailEvent[] {
    const events: TailEvent[] = [];
    const run = this.readRun();
    this.readMetrics(events);
    this.backlog = Infinity; // only what is there at the first poll is backlog
    if (run) events.push(run);
    return events;
  }

  [Symbol.asyncIterator](): AsyncIterator<TailEvent> {
    if (!this.started) {
      this.started = true;
      this.tick();
    }
    return {
      next: () => {
        const ready = this.queue.shift();
        if (ready) return Promise.resolve({ done: false, value: ready });
        if (this.failure !== null) return Promise.reject(this.failure as Error);
        if (this.stopped) return Promise.resolve({ done: true, value: undefined });
        return new Promise((resolve, reject) => {
          this.waiting = { resolve, reject };
        });
      },
      return: () => {
        this.stop();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  private tick(): void {
    if (this.stopped) return;
    let events: TailEvent[];
    try {
      events = this.poll();
    } catch (err) {
      this.fail(err);
      return;
    }
    for (const e of events) this.push(e);
    if (!this.stopped) this.timer = setTimeout(() => this.tick(), this.intervalMs);
  }

  private push(e: TailEvent): void {
    const w = this.waiting;
    if (w) {
      this.waiting = null;
      w.resolve({ done: false, value: e });
    } else {
      this.queue.push(e);
    }
  }

  private readRun(): TailEvent | null {
    const file = join(this.runPath, RUN_FILE);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return null; // not there (yet): keep the last known state
    }
    if (text === this.runText) return null;
    let info: RunInfo;
    try {
      info = JSON.parse(text) as RunInfo;
    } catch {
      return null; // run.json is written atomically; a bad read is another writer's problem, retry
    }
    // Throws for a newer format; a malformed one is left to `watch`'s status check.
    if (typeof info === 'object' && info !== null && !Array.isArray(info))
      formatVersionProblem(info as unknown as Record<string, unknown>, file);
    this.runText = text;
    const previous = this.runInfo;
    this.runInfo = info;
    return { type: 'run', info, previous };
  }

  private readMetrics(events: TailEvent[]): void {
    let fd: number;
    try {
      fd = openSync(join(this.runPath, METRICS_FILE), 'r');
    } catch {
      return; // no metrics yet
    }
    let chunk: string;
    try {
      const st = fstatSync(fd);
      // A folder in its place opens on Linux but cannot be read: as if there were no metrics yet.
      if (!st.isFile()) return;
      const size = st.size;
      if (size < this.offset) {
        this.offset = size;
        this.partial = '';
        this.decoder = new StringDecoder('utf8');
        events.push({ type: 'truncated', size });
        return;
      }
      if (size === this.offset) return;
      const buf = Buffer.alloc(size - this.offset);
      const n = readSync(fd, buf, 0, buf.length, this.offset);
      this.offset += n;
      chunk = this.decoder.write(buf.subarray(0, n));
    } finally {
      closeSync(fd);
    }
    const pieces = (this.partial + chunk).split('\n');
    this.partial = pieces.pop() ?? '';
    const whole = pieces.filter((p) => p.trim() !== '');
    let from = 0;
    if (Number.isFinite(this.backlog)) {
      from = Math.max(0, whole.length - this.backlog);
      this.skippedBacklog = from;
    }
    const file = join(this.runPath, METRICS_FILE);
    for (const text of whole.slice(from)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        events.push({ type: 'unreadable', text, reason: (err as Error).message });
        continue;
      }
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
        // A newer format throws (the tail ends); a malformed version is reported as the line's damage.
        const why = formatVersionProblem(parsed as Record<string, unknown>, file);
        if (why !== null) {
          events.push({ type: 'unreadable', text, reason: why });
          continue;
        }
      }
      const line = parsed as MetricsLine;
      if (
        typeof line !== 'object' ||
        line === null ||
        typeof line.step !== 'number' ||
        typeof line.epoch !== 'number' ||
        (typeof line.loss !== 'number' && line.loss !== null)
      ) {
        events.push({ type: 'unreadable', text, reason: 'not a metrics object' });
      } else {
        events.push({ type: 'metrics', line });
      }
    }
  }
}
