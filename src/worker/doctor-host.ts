/**
 * The main thread's side of the doctor worker: starts it for one report, passes its slow-step
 * notices on, and ends it once the report is in. A worker that throws, runs out of memory or exits
 * without a report is an error that says so, never a wait for ever. No tfjs loads on this side.
 */
import { Worker } from 'node:worker_threads';
import type { DoctorReport } from '../engine/doctor.js';
import { parseDoctorFromWorker, type DoctorWorkerOptions } from '../contracts/doctor-report.js';
import { compiledWorker } from './worker-path.js';

/** Runs `diagnose` in a worker thread and resolves with its report. */
export function diagnoseInWorker(options: DoctorWorkerOptions = {}, onStatus?: (message: string) => void): Promise<DoctorReport> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(compiledWorker('doctor-worker'), { workerData: options });
    let settled = false;
    const settle = (done: () => void): void => {
      if (settled) return;
      settled = true;
      // The report is all that is wanted: a backend's threads or handles must not keep the worker on.
      worker.terminate().then(done, done);
    };
    worker.on('message', (raw: unknown) => {
      let msg;
      try {
        msg = parseDoctorFromWorker(raw);
      } catch (err) {
        settle(() => reject(err as Error));
        return;
      }
      if (msg.type === 'status') onStatus?.(msg.message);
      else settle(() => resolve(msg.report));
    });
    worker.on('error', (err: Error & { code?: string }) => {
      const why = err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'ran out of memory' : `crashed: ${err.message}`;
      settle(() => reject(new Error(`the doctor worker ${why}`, { cause: err })));
    });
    worker.on('exit', (code) => settle(() => reject(new Error(`the doctor worker exited (code ${code}) before its report`))));
  });
}
