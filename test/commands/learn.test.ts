import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('learn', () => {
  it('an unknown lesson is a user error that lists the lessons', () => {
    const r = runCli(['learn', '42']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/There is no lesson "42"\. Lessons: 1 deep-networks, 2 shattered-gradients/);
    expect(r.stderr).toMatch(/resnet-tutor learn <number or id>/);
  });

  it('without a terminal it says what to use instead', () => {
    const r = runCli(['learn', '6']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/The tutor needs an interactive terminal.*resnet-tutor lessons/);
  });

  it('`resnet-tutor` alone prints the help when not on a terminal', () => {
    const r = runCli([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/learn \[lesson\]\s+The tutor/);
    expect(r.stdout).toMatch(/train\s+Train one network/);
  });
});
