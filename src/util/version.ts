import { readFileSync } from 'node:fs';

let cached: string | null = null;

/** This package's version, read from package.json (next to src/ when run from sources, above dist/ when built). */
export function packageVersion(): string {
  if (cached) return cached;
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'resnet-tutor' && pkg.version) return (cached = pkg.version);
    } catch {
      // try the next location
    }
  }
  return (cached = 'unknown');
}
