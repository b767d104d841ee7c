/**
 * The front matter of a lesson: the known fields all present, `format` one this version reads, and
 * `id` and `number` well formed and agreeing with the file name (NN-slug.md).
 */
import { basename } from 'node:path';
import { fieldText, type RawField, type RawLesson } from '../parse.js';
import { LESSON_FORMAT } from '../types.js';
import { fieldMap, ID, mathIn, textOf, type CheckContext, type Reporter } from './fields.js';

export const FRONT_MATTER_FIELDS = ['format', 'id', 'number', 'title', 'summary', 'minutes'] as const;

const LESSON_FILE = /^(\d+)-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$/;

/** The front matter's values (0 or '' where a problem was reported) and its fields by key. */
export interface FrontMatter {
  readonly fields: ReadonlyMap<string, RawField>;
  readonly format: number;
  readonly id: string;
  readonly number: number;
  readonly minutes: number;
}

export function checkFrontMatter(raw: RawLesson, ctx: CheckContext, r: Reporter): FrontMatter {
  const fm = fieldMap(raw.frontMatter);
  const at = (key: string) => fm.get(key)?.line ?? raw.frontMatterLine;
  for (const f of raw.frontMatter) {
    if (!(FRONT_MATTER_FIELDS as readonly string[]).includes(f.key)) {
      r.error(f.line, `unknown front matter field \`${f.key}\` (known: ${FRONT_MATTER_FIELDS.join(', ')})`);
    }
  }
  for (const key of FRONT_MATTER_FIELDS) {
    if (textOf(fm.get(key)) === '') r.error(raw.frontMatterLine, `front matter has no \`${key}\``);
  }
  const format = fm.has('format') ? formatOf(r, fieldText(fm.get('format')!), at('format')) : LESSON_FORMAT;
  const id = textOf(fm.get('id'));
  if (id !== '' && !ID.test(id)) r.error(at('id'), `\`id\` must be lower-case words joined by hyphens, e.g. residual-blocks; got "${id}"`);
  const number = fm.has('number') ? numberOf(r, fieldText(fm.get('number')!), at('number')) : 0;
  const minutes = fm.has('minutes') ? minutesOf(r, fieldText(fm.get('minutes')!), at('minutes')) : 0;
  checkFileName(r, basename(ctx.path), { id, number }, raw.frontMatterLine, at);
  for (const key of ['title', 'summary'] as const) {
    if (fm.has(key)) mathIn(r, fm.get(key)!.line, fieldText(fm.get(key)!));
  }
  return { fields: fm, format, id, number, minutes };
}

/** The `format` value; LESSON_FORMAT after reporting one this version does not read. */
function formatOf(r: Reporter, v: string, line: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) r.error(line, `\`format\` must be a whole number (this resnet-tutor reads format ${LESSON_FORMAT}); got "${v}"`);
  else if (n > LESSON_FORMAT) r.error(line, `format ${n} is newer than this resnet-tutor understands (format ${LESSON_FORMAT}): update resnet-tutor`);
  else if (n < LESSON_FORMAT) r.error(line, `unknown format ${n}: this resnet-tutor reads format ${LESSON_FORMAT}`);
  else return n;
  return LESSON_FORMAT;
}

/** `number` as written (reported unless a whole number from 1). */
function numberOf(r: Reporter, v: string, line: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) r.error(line, `\`number\` must be a whole number from 1; got "${v}"`);
  return n;
}

/** `minutes` as written (reported unless positive). */
function minutesOf(r: Reporter, v: string, line: number): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) r.error(line, `\`minutes\` must be a positive number; got "${v}"`);
  return n;
}

/** The file name's number must match `number`; a slug other than `id` is only a warning. */
function checkFileName(
  r: Reporter,
  name: string,
  given: { id: string; number: number },
  frontMatterLine: number,
  at: (key: string) => number,
): void {
  const fileMatch = LESSON_FILE.exec(name);
  if (!fileMatch) {
    r.error(frontMatterLine, `lesson file names look like NN-slug.md (e.g. 03-residual-blocks.md); got ${name}`);
    return;
  }
  const { id, number } = given;
  if (Number.isInteger(number) && number >= 1 && Number(fileMatch[1]) !== number) {
    r.error(at('number'), `number ${number} does not match the file name ${name}: rename the file or fix the number`);
  }
  if (id !== '' && ID.test(id) && fileMatch[2] !== id) {
    r.warn(at('id'), `id "${id}" differs from the file name's slug "${fileMatch[2]}"`);
  }
}
