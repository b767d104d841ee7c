import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProgressStore } from '../../src/stores/progress.js';

let cwd: string;
const clock = () => new Date('2026-11-28T12:00:00.000Z');
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'rt-progress-backup-'));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

describe('wrong-typed records in progress.json', () => {
  const damaged = {
    format: 1,
    lessons: {
      good: { step: 2, completed: false, answers: {}, experiments: {}, updated: '2026-11-01T00:00:00.000Z' },
      stringy: { step: '3', completed: 'yes', answers: {}, experiments: {}, updated: '2026-11-01T00:00:00.000Z' },
      listy: [1, 2, 3],
    },
  };

  it('are copied aside (never dropped) on the next write, and the good ones kept', () => {
    const file = join(cwd, 'progress.json');
    const before = `${JSON.stringify(damaged, null, 2)}\n`;
    writeFileSync(file, before);
    const store = new ProgressStore({ cwd, now: clock });
    // Reading alone changes nothing on disk.
    expect(store.recovered).toBeNull();
    expect(readdirSync(cwd)).toEqual(['progress.json']);

    store.reachStep('good', 4);
    const copies = readdirSync(cwd).filter((n) => n.startsWith('progress.json.corrupt-'));
    expect(copies).toHaveLength(1);
    expect(readFileSync(join(cwd, copies[0]!), 'utf8')).toBe(before);
    expect(store.recovered).toMatch(
      /^The progress file .*progress\.json had lesson records of the wrong type \("stringy": step is "3"; "listy": not an object but an array\); they were reset, and the file as it was is saved as .*progress\.json\.corrupt-2026-11-28T12-00-00-000Z\.$/,
    );
    expect(new ProgressStore({ cwd }).lesson('good').step).toBe(4);

    // Once per process: a second write makes no second copy.
    store.reachStep('good', 5);
    expect(readdirSync(cwd).filter((n) => n.startsWith('progress.json.corrupt-'))).toHaveLength(1);
  });

  it('a file with only well-typed records is never copied', () => {
    writeFileSync(join(cwd, 'progress.json'), JSON.stringify({ format: 1, lessons: { good: damaged.lessons.good } }));
    const store = new ProgressStore({ cwd, now: clock });
    store.reachStep('good', 3);
    expect(readdirSync(cwd)).toEqual(['progress.json']);
    expect(store.recovered).toBeNull();
  });
});
