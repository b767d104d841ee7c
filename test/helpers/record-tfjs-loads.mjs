// Preloaded with `node --import` by test/main-thread-tfjs.test.ts, in the CLI's main thread and (through
// the inherited execArgv) in each worker thread it starts. Each thread writes the @tensorflow files it
// has loaded to $RT_TFJS_LOADS_DIR/<main|worker-N>.json.
//
// tfjs 4.22's packages have no "exports" and a CommonJS "main", so every load of them, by `import` or
// `require`, goes through the thread's own CommonJS cache; the test checks that a worker's list is not
// empty, so a tfjs that stopped loading this way would fail the test rather than pass it unseen.
/* global process, setInterval */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { isMainThread, threadId } from 'node:worker_threads';

const dir = process.env.RT_TFJS_LOADS_DIR;
if (dir) {
  const cache = createRequire(import.meta.url).cache;
  const file = join(dir, isMainThread ? 'main.json' : `worker-${threadId}.json`);
  const record = () => writeFileSync(file, JSON.stringify(Object.keys(cache).filter((f) => f.includes('@tensorflow'))));
  record();
  process.on('exit', record);
  // A worker the host terminates runs no exit handler: it also records as it goes.
  if (!isMainThread) setInterval(record, 100).unref();
}
