import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/util/errors.js';
import { runsExitCode } from '../../src/runs/exit-code.js';
import { exitCodeFor } from '../../src/commands/impl/watch.js';

describe('runsExitCode: one policy for train, compare, resume, the dashboard and watch', () => {
  it('the worst outcome wins: failed, then diverged, then interrupted', () => {
    expect(runsExitCode(['completed', 'completed'], false)).toBe(EXIT.ok);
    expect(runsExitCode(['completed', 'diverged'], false)).toBe(EXIT.diverged);
    expect(runsExitCode(['diverged', 'failed', 'interrupted'], true)).toBe(EXIT.userError);
    expect(runsExitCode(['interrupted', 'diverged'], true)).toBe(EXIT.diverged);
    expect(runsExitCode(['completed', 'interrupted'], true)).toBe(EXIT.interrupted);
  });

  it('an interruption is 130 only when a stop was asked for; stopped by the program, it is a user error', () => {
    expect(runsExitCode(['interrupted'], true)).toBe(130);
    expect(runsExitCode(['interrupted'], false)).toBe(EXIT.userError);
  });

  it('a run still running has no code yet', () => {
    expect(runsExitCode(['completed', 'running'], true)).toBeNull();
  });

  it('watch uses it, taking an interrupted run as stopped on request', () => {
    expect(exitCodeFor('running')).toBeNull();
    expect(exitCodeFor('interrupted')).toBe(130);
    expect(exitCodeFor('failed')).toBe(EXIT.userError);
    expect(exitCodeFor('diverged')).toBe(EXIT.diverged);
    expect(exitCodeFor('completed')).toBe(EXIT.ok);
  });
});
