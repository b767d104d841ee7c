/** The cross-file rules of a course: lesson ids and numbers unique. */
import type { Lesson, Problem } from '../types.js';

/** Lessons in the order they were loaded; a repeat is reported at the later lesson. */
export function checkCourse(lessons: readonly Lesson[]): Problem[] {
  const problems: Problem[] = [];
  const byId = new Map<string, Lesson>();
  const byNumber = new Map<number, Lesson>();
  for (const l of lessons) {
    const lines = { id: l.fieldLines.id ?? 1, number: l.fieldLines.number ?? 1 };
    const sameId = byId.get(l.id);
    if (sameId) problems.push({ file: l.file, line: lines.id, severity: 'error', message: `id "${l.id}" is also used by ${sameId.file}; lesson ids must be unique` });
    else byId.set(l.id, l);
    const sameNumber = byNumber.get(l.number);
    if (sameNumber) problems.push({ file: l.file, line: lines.number, severity: 'error', message: `number ${l.number} is also used by ${sameNumber.file}; lesson numbers must be unique` });
    else byNumber.set(l.number, l);
  }
  return problems;
}
