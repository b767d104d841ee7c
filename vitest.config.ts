import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // The CLI and the workers run from dist/: build what changed in src/ first, so no test runs stale code.
    globalSetup: ['./test/helpers/build-before-tests.ts'],
    // Tests that train use tiny configurations, but the pure-JS and wasm backends are still slow on
    // a 2-core CI machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // A developer's own settings and progress must not change test results: every test process
    // (and every CLI it starts) uses an empty config folder unless a test sets another.
    env: { RESNET_TUTOR_CONFIG_DIR: join(tmpdir(), `resnet-tutor-test-config-${process.pid}`) },
  },
});
