import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The compiled script of the worker `src/worker/<name>.ts`. From the build (dist/) it sits next to
 * this module. Under vitest this module runs from src/*.ts, and a worker needs JavaScript, so it
 * points at the build in dist/ (`npm test` builds first).
 */
export function compiledWorker(name: string): URL {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return new URL(`./${name}.js`, import.meta.url);
  const compiled = here.replace(/[/\\]src[/\\]worker[/\\]worker-path\.ts$/, `/dist/src/worker/${name}.js`);
  if (!existsSync(compiled)) throw new Error(`${compiled} is missing: run \`npm run build\` first`);
  return pathToFileURL(compiled);
}
