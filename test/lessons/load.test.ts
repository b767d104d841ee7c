import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultLessonsDir, loadLessons } from '../../src/lessons/load.js';

describe('a lessons folder with broken entries', () => {
  it('loads the good lessons and names each dangling symlink, loop and folder-named file as its own problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rt-lessons-'));
    copyFileSync(join(defaultLessonsDir(), '01-deep-networks.md'), join(dir, '01-deep-networks.md'));
    symlinkSync(join(dir, 'missing.md'), join(dir, '02-dangling.md'));
    symlinkSync(join(dir, '03-loop.md'), join(dir, '03-loop.md'));
    mkdirSync(join(dir, '04-folder.md'));
    const r = loadLessons(dir);
    expect(r.lessons.map((l) => l.number)).toEqual([1]);
    const unreadable = r.problems.filter((p) => p.message.startsWith('cannot read the file')).map((p) => p.file);
    expect(unreadable.some((f) => f.endsWith('02-dangling.md'))).toBe(true);
    expect(unreadable.some((f) => f.endsWith('03-loop.md'))).toBe(true);
    // A folder is not a lesson file: skipped, not reported.
    expect(r.problems.some((p) => p.file.endsWith('04-folder.md'))).toBe(false);
  });
});
