/**
 * The doctor worker: runs `diagnose` (which loads the tfjs backends to see which ones load) off the
 * main thread, which never loads tfjs. It is started for one report: it diagnoses with the options
 * in its `workerData`, posts slow-step notices and then the report, and is done (the host ends it).
 * An error thrown here reaches the host as the worker's `error` event.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { diagnose } from '../engine/doctor.js';
import type { DoctorFromWorker, DoctorWorkerOptions } from '../contracts/doctor-report.js';

if (!parentPort) throw new Error('doctor-worker.ts must run in a worker thread');
const port = parentPort;
const post = (msg: DoctorFromWorker): void => port.postMessage(msg);

const options = (workerData ?? {}) as DoctorWorkerOptions;
const report = await diagnose({}, { ...options, onStatus: (message) => post({ type: 'status', message }) });
post({ type: 'report', report });
