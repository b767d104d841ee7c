import { Box, render, Text } from 'ink';
import type { ReactNode } from 'react';
import { ExperimentRunner } from '../lessons/experiment-runner.js';
import type { ProgressStore } from '../stores/progress.js';
import { lessonRunsDir } from '../runs/lesson-root.js';
import type { Lesson } from '../lessons/types.js';
import { engineHostPerKind } from '../worker/engine-host.js';
import { clipText } from '../util/format.js';
import { useTerminalSize } from './common/use-terminal-size.js';
import { TutorApp } from './tutor/TutorApp.js';
import type { LessonProgressView, TutorCommand, TutorEvent, TutorState } from './tutor/state.js';

export interface TutorOptions {
  readonly lessons: readonly Lesson[];
  readonly problems: readonly string[];
  /** Opened after the first screen is up (conf takes a few hundred ms to load); until then, `initial`. */
  readonly openStore: () => Promise<ProgressStore>;
  /** Progress as last saved (steps, answers, experiment results), read without conf, for the first screen. */
  readonly initial: Readonly<Record<string, Partial<LessonProgressView>>>;
  readonly open?: number;
  readonly runRoot: string;
  readonly backend: string;
  readonly full: boolean;
  readonly color: boolean;
  readonly unicode: boolean;
  /** Streams for Ink (tests pass fake ones); the process's own by default. */
  readonly io?: { readonly stdout: NodeJS.WriteStream; readonly stdin: NodeJS.ReadStream; readonly debug?: boolean };
  /** The engine worker per kind of work (tests may share one); started on first use by default. */
  readonly hosts?: ReturnType<typeof engineHostPerKind>;
}

/**
 * Runs the tutor until the learner quits. Progress goes to the store as the learner moves; the
 * engine worker starts only when an experiment first runs, so the first screen appears at once.
 */
export async function runTutor(opts: TutorOptions): Promise<number> {
  // The engine worker starts only when an experiment first runs.
  const hosts = opts.hosts ?? engineHostPerKind();
  // Lesson runs live in the per-user data folder (`runs --lessons` lists them), not in --run-dir.
  const worker = releasable(hosts);
  const runner = new ExperimentRunner(worker.get, lessonRunsDir(), opts.backend);
  const all = opts.initial;
  const progress = Object.fromEntries(
    opts.lessons.map((l): [string, LessonProgressView] => [
      l.id,
      { ...all[l.id], step: all[l.id]?.step ?? 0, completed: all[l.id]?.completed ?? false },
    ]),
  );
  let store: Promise<ProgressStore> | null = null;
  // A store that failed to open is opened again at the next save.
  const open = (): Promise<ProgressStore> =>
    (store ??= opts.openStore().catch((err: unknown) => {
      store = null;
      throw err;
    }));
  // Saves happen in order, once the store is open. One that fails (disk full, a read-only folder)
  // stays queued and is tried again before the next: the learner sees a one-line warning and goes on.
  const unsaved: ((s: ProgressStore) => void)[] = [];
  let saving: Promise<void> = Promise.resolve();
  let notice = '';
  let showNotice = (_: string) => {};
  const flush = async () => {
    const s = await open();
    while (unsaved.length > 0) {
      unsaved[0]!(s);
      unsaved.shift();
    }
  };
  const save = (f: (s: ProgressStore) => void) => {
    unsaved.push(f);
    saving = saving.then(flush).then(
      () => showNotice(''),
      (err: unknown) => showNotice(saveFailed(err)),
    );
  };

  const onCommand = (c: TutorCommand, dispatch: (e: TutorEvent) => void, state: TutorState) => {
    switch (c.type) {
      case 'reach-step':
        save((s) => s.reachStep(c.lessonId, c.step));
        break;
      case 'complete':
        save((s) => s.complete(c.lessonId));
        break;
      case 'answer':
        save((s) => s.answer(c.lessonId, c.key, c.given, c.correct));
        break;
      case 'pause-experiment':
        runner.pause();
        break;
      case 'resume-experiment':
        runner.resume();
        break;
      case 'skip-experiment':
        runner.skip();
        break;
      case 'run-experiment': {
        const lesson = state.lessons.find((l) => l.id === c.lessonId);
        const step = lesson?.steps[c.step];
        if (!lesson || step?.kind !== 'experiment') break;
        const update = (u: Parameters<Parameters<ExperimentRunner['run']>[2]>[0]) => dispatch({ type: 'experiment', update: u });
        const exp = step.experiment;
        const started = performance.now();
        runner
          .run(exp, opts.full, update, { lessonId: lesson.id })
          .finally(() => worker.release())
          .then((outcome) => {
            if (outcome.skipped) {
              dispatch({ type: 'experiment', update: { status: 'skipped' } });
              return;
            }
            const measured = Object.fromEntries(outcome.measured.map((m) => [m.label || 'result', m.value]));
            // What the runner judged and kept (absent from a runner that only measures) goes to the
            // progress file and the screen alike.
            const judged = {
              ...(outcome.measurements ? { measurements: outcome.measurements } : {}),
              ...(outcome.verdict ? { verdict: outcome.verdict } : {}),
              ...(outcome.results ? { results: outcome.results } : {}),
            };
            save((s) =>
              s.recordExperiment(lesson.id, step.experiment.key, measured, { runIds: outcome.runIds, full: opts.full, ...judged }),
            );
            const timing = { seconds: (performance.now() - started) / 1000, stated: (opts.full && exp.full ? exp.full : exp.quick).cost };
            dispatch({ type: 'experiment', update: { status: 'done', measured: outcome.measured, timing, ...judged } });
          })
          .catch((err: unknown) =>
            dispatch({ type: 'experiment', update: { status: 'failed', error: err instanceof Error ? err.message : String(err) } }),
          );
        break;
      }
      case 'quit':
        runner.skip();
        break;
    }
  };

  const screen = () => (
    <TutorScreen notice={notice}>
      {(size) => (
        <TutorApp
          lessons={opts.lessons}
          progress={progress}
          problems={opts.problems}
          open={opts.open}
          onCommand={onCommand}
          color={opts.color}
          unicode={opts.unicode}
          size={size}
        />
      )}
    </TutorScreen>
  );
  const instance = render(screen(), { exitOnCtrlC: false, patchConsole: !opts.io, maxFps: 10, ...(opts.io ?? {}) });
  showNotice = (text) => {
    if (text === notice) return;
    notice = text;
    instance.rerender(screen());
  };
  // Open the store once the first screen is drawn, so a corrupt file is found (and backed up) early.
  setImmediate(() => {
    open().catch((err: unknown) => showNotice(saveFailed(err)));
  });
  await instance.waitUntilExit().catch(() => undefined);
  showNotice = () => {};
  // One last try for what could not be saved; if it fails too, the terminal says what was lost.
  await saving;
  if (unsaved.length > 0) {
    await flush().catch((err: unknown) =>
      process.stderr.write(`resnet-tutor: ${saveFailed(err)} ${unsaved.length} change(s) to your progress were lost.\n`),
    );
  }
  // (A cast: TypeScript cannot see the closures above assign `store`.)
  const opened = await (store as Promise<ProgressStore> | null)?.catch(() => null);
  if (opened?.recovered) process.stderr.write(`${opened.recovered}\n`);
  await hosts.close();
  return 0;
}

function saveFailed(err: unknown): string {
  const why = err instanceof Error ? err.message : String(err);
  return `Progress could not be saved (${why}); the tutor goes on and saves again at your next step.`;
}

/**
 * The tutor, with a one-line notice under it while there is one (a failed save). The tutor stays the
 * same element either way, so its state survives the notice coming and going.
 */
function TutorScreen({ notice, children }: { notice: string; children: (size: { columns: number; rows: number }) => ReactNode }) {
  const { columns, rows } = useTerminalSize();
  return (
    <Box flexDirection="column">
      {children({ columns, rows: notice ? rows - 1 : rows })}
      {notice ? (
        <Text color="yellow" wrap="truncate">
          {clipText(notice, columns - 1)}
        </Text>
      ) : null}
    </Box>
  );
}

/**
 * The engine workers, with a way to end the current one once an experiment is over: when nothing
 * else runs in it and it computes on wasm (a native build cannot load in a second worker). Wasm
 * memory never shrinks, so a worker that ran a CNN kept ~900 MiB for the rest of the session; the
 * next experiment starts a fresh one.
 */
function releasable(hosts: ReturnType<typeof engineHostPerKind>) {
  let used = false;
  return {
    get: (convolutional?: boolean) => {
      used = true;
      return hosts.get(convolutional);
    },
    async release(): Promise<void> {
      if (!used || !hosts.get().idleOnWasm) return;
      used = false;
      await hosts.close();
    },
  };
}
