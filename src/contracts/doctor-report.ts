/**
 * The messages of the doctor worker (`worker/doctor-worker.ts`) to the main thread. `doctor` runs its
 * diagnosis in a worker of its own because diagnosing loads the tfjs backends, which the main thread
 * never does. The report itself is plain data (`DoctorReport`, a type only: nothing of the engine
 * loads here). Both ends come from the same build, so the check is of the envelope and the report's
 * outline, enough to turn a bug on the other side into a clear error.
 */
import type { DiagnoseOptions, DoctorReport } from '../engine/doctor.js';
import { Fields } from './protocol-check.js';

/** What the worker is started with (its `workerData`): the diagnosis options that can be cloned. */
export type DoctorWorkerOptions = Omit<DiagnoseOptions, 'onStatus'>;

export type DoctorFromWorker =
  /** A slow step is coming (see `InitOptions.onStatus`). */
  | { readonly type: 'status'; readonly message: string }
  /** The one answer; the worker ends after it. */
  | { readonly type: 'report'; readonly report: DoctorReport };

/** A message received from the doctor worker, checked. */
export function parseDoctorFromWorker(raw: unknown): DoctorFromWorker {
  const f = Fields.of(raw, 'message from the doctor worker');
  const type = f.oneOf('type', ['status', 'report'] as const);
  if (type === 'status') return { type, message: f.string('message') };
  return { type, report: readReport(f.object('report')) };
}

/** The report's outline: the parts the text and JSON forms read, each of the right kind. */
function readReport(r: Fields): DoctorReport {
  for (const key of ['node', 'packages', 'gpu', 'cuda', 'env', 'best']) r.object(key);
  r.array('backends', (value, what) => Fields.of(value, what));
  r.strings('warnings');
  r.strings('notes');
  r.object('best').string('line');
  return r.value as unknown as DoctorReport;
}
