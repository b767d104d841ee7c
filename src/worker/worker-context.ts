import type { BackendChoice } from '../engine/backends/types.js';
import type { FromWorker } from '../contracts/engine-protocol.js';

/** What the engine worker's two jobs (hosting runs, serving requests) share: the port and the backend. */
export interface WorkerContext {
  /** Posts a message to the main thread (the version is added on the way). */
  post(msg: FromWorker): void;
  /**
   * The backend, started by the first run or request (`request`: 'auto', 'wasm', ...; `convolutional`
   * chooses the wasm build, see backend.ts; `onStatus` hears the first start's progress lines).
   */
  backend(request: string, convolutional: boolean, onStatus?: (message: string) => void): Promise<BackendChoice>;
}
