/**
 * The first thing the process does (src/cli.ts imports this before anything else): take over the
 * stop signals before any slow import. Until then Node's defaults apply, and Node's default for
 * SIGUSR1 is to open its debugger on 127.0.0.1:9229, where any local user could attach and run code
 * as you. Only Node built-ins here, nothing slow.
 *
 * While no command has its own handler for a signal, it is kept: a training command (train, resume,
 * compare) hands it to its handler as soon as that is installed (a `newListener` hook, so the
 * dashboard and the headless printer need nothing special), so a scheduler's warning during startup
 * stops the run like one during training; after the run ended it is ignored, so a finished run exits
 * with its real code. Any other command exits at once with 128 + the signal number, as the default
 * action would.
 */
import { createRequire } from 'node:module';

/**
 * In this order: SIGUSR1 first (Node's default for it is the dangerous one), SIGHUP last (the one Node
 * itself never catches, so a test can tell from /proc that all are in place).
 */
export const STOP_SIGNALS = ['SIGUSR1', 'SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type StopSignal = (typeof STOP_SIGNALS)[number];

const SIGNAL_NUMBERS: Record<StopSignal, number> = { SIGHUP: 1, SIGINT: 2, SIGUSR1: 10, SIGTERM: 15 };

/** Commands that train: a signal before their handler is ready is delivered to it, not acted on. */
const TRAINING_COMMANDS = new Set(['train', 'resume', 'compare']);

/** Signals kept for a training command's handler, in the order they came (a double Ctrl-C is two). */
const pending: StopSignal[] = [];

export function installStartupSignals(argv: readonly string[]): void {
  const command = argv.find((a) => !a.startsWith('-'));
  const training = command !== undefined && TRAINING_COMMANDS.has(command);
  const early = (signal: StopSignal): void => {
    // Someone else handles it now.
    if (process.listenerCount(signal) > 1) return;
    if (training) pending.push(signal);
    else process.exit(128 + SIGNAL_NUMBERS[signal]);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, () => early(signal));
  process.on('newListener', (event: string | symbol, listener: (...args: unknown[]) => void) => {
    if (typeof event !== 'string' || !pending.includes(event as StopSignal)) return;
    const count = pending.filter((s) => s === event).length;
    pending.splice(0, pending.length, ...pending.filter((s) => s !== event));
    // After the listener is in place (newListener runs before it is added).
    setImmediate(() => {
      for (let i = 0; i < count; i++) listener(event);
    });
  });
  // The inspector starts on its own thread a moment after the signal (longer on a loaded machine):
  // look now and every 50 ms for the first 3 s.
  const check = (): boolean => {
    if (!closeInspectorOpenedBySignal()) return false;
    if (process.listenerCount('SIGUSR1') > 1) process.emit('SIGUSR1', 'SIGUSR1');
    else early('SIGUSR1');
    return true;
  };
  if (!check()) {
    const started = Date.now();
    const timer = setInterval(() => {
      if (check() || Date.now() - started > 3000) clearInterval(timer);
    }, 50).unref();
  }
}

/**
 * A SIGUSR1 that arrived while Node itself was starting (before the handler above existed) opens
 * the inspector instead of reaching JavaScript: close it (unless it was asked for with --inspect)
 * and say so, so the caller treats it as the SIGUSR1 it was.
 */
function closeInspectorOpenedBySignal(): boolean {
  const asked = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => /--inspect/.test(a));
  if (asked) return false;
  const inspector = createRequire(import.meta.url)('node:inspector') as typeof import('node:inspector');
  if (inspector.url() === undefined) return false;
  inspector.close();
  return true;
}
