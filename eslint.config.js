// ESLint (typescript-eslint) for the sources, tests and benchmarks; formatting is Prettier's job.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/**
 * The layers of src, top to bottom, and what each may import besides itself (ARCHITECTURE.md).
 * `cli` is the entry files at the top of src. Engine types may be imported anywhere with
 * `import type` (the main-thread rule below); this table is about values and types alike.
 */
const BASE = ['util', 'data', 'platform', 'contracts', 'stores'];
const LAYERS = {
  util: [],
  data: ['util'],
  platform: ['util'],
  contracts: ['util', 'data', 'platform', 'engine'],
  render: ['util', 'data', 'contracts'],
  stores: ['util', 'contracts'],
  engine: ['util', 'data', 'platform', 'contracts'],
  runs: [...BASE, 'render'],
  worker: [...BASE, 'engine', 'runs', 'render'],
  lessons: [...BASE, 'render', 'runs', 'worker'],
  ui: [...BASE, 'render', 'runs', 'worker', 'lessons', 'engine'],
  commands: [...BASE, 'render', 'runs', 'worker', 'lessons', 'ui', 'engine'],
  cli: [...BASE, 'render', 'runs', 'worker', 'lessons', 'ui', 'commands', 'engine'],
};
const layerGlob = (layer) => (layer === 'cli' ? 'src/*.{ts,tsx}' : `src/${layer}/**`);
const LAYER_ZONES = Object.entries(LAYERS).flatMap(([layer, allowed]) =>
  Object.keys(LAYERS)
    .filter((other) => other !== layer && !allowed.includes(other))
    .map((other) => ({
      target: layerGlob(layer),
      from: layerGlob(other),
      message: `src/${layer} may import only ${[layer, ...allowed].join(', ')} (ARCHITECTURE.md): move the shared piece down, into src/contracts or src/util.`,
    })),
);

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'checkpoints/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      // Unused names are errors, except deliberate ones spelled with a leading underscore.
      // A terminal program matches escape codes on purpose (tests check that none leak into logs).
      'no-control-regex': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Type-aware rules for what the code assumes: a promise nobody awaits hides its rejection (an
    // unhandled rejection kills the process mid-lesson), and a switch over a union must name every
    // member so that adding one is a compile-time list of places to update.
    files: ['src/**/*.{ts,tsx}', 'test/**/*.{ts,tsx}', 'bench/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: false }],
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: false, requireDefaultForNonUnion: false },
      ],
    },
  },
  {
    // Layers (ARCHITECTURE.md): each folder of src is one layer and imports only the layers below
    // it. LAYERS lists, for each folder, the folders it may import (its own is always allowed);
    // import-x resolves every relative import to its file, so a nested folder of the same name (say
    // engine/probes) is never mistaken for another layer.
    files: ['src/**/*.{ts,tsx}'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.json' })],
      // Without these, import-x parses no TypeScript file it follows, and no-cycle never fires.
      'import-x/extensions': ['.ts', '.tsx', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
    },
    rules: {
      // No import cycles: a cycle hides which module is the lower one (model.ts <-> densenet.ts was one).
      'import-x/no-cycle': 'error',
      'import-x/no-restricted-paths': [
        'error',
        {
          basePath: import.meta.dirname,
          zones: [
            // An implementation is loaded with `await import` by its command file, never the other
            // way round: a command's impl importing it back made a cycle (a type it needs lives in the impl).
            {
              target: 'src/commands/impl/**',
              from: 'src/commands/*.ts',
              message:
                'src/commands/impl may not import the command files (ARCHITECTURE.md): a command imports its impl, never the other way round. Put what both need in the impl (types) or lower.',
            },
            ...LAYER_ZONES,
          ],
        },
      ],
    },
  },
  {
    // The main thread never loads tfjs (startup budget, and a native backend can load in one thread
    // only): tfjs and the engine modules that load it run in the worker threads. Types cross freely.
    // The engine modules listed in the regex are tfjs-free (test/main-thread-tfjs.test.ts checks the
    // commands that use them).
    files: [
      'src/ui/**/*.{ts,tsx}',
      'src/commands/**/*.ts',
      'src/lessons/**/*.ts',
      'src/runs/**/*.ts',
      'src/cli*.ts',
      'src/stores/**/*.ts',
      'src/render/**/*.ts',
      'src/contracts/**/*.ts',
      'src/data/**/*.ts',
      'src/platform/**/*.ts',
      'src/util/**/*.ts',
      'src/worker/engine-host.ts',
      'src/worker/doctor-host.ts',
      'src/worker/worker-path.ts',
      'src/worker/probe-request.ts',
    ],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@tensorflow/*'],
              allowTypeImports: true,
              message: 'The main thread never loads tfjs: import types only (`import type`), and compute in the engine worker.',
            },
            {
              regex: '^(\\.\\./)+engine/',
              allowTypeImports: true,
              message:
                'src/engine loads tfjs, which the main thread never does: import its types only (`import type`), or move the tfjs-free part down into src/contracts (types and validators) or src/data.',
            },
          ],
        },
      ],
      // The rule above sees static imports only: an `await import('../engine/doctor.js')` in a
      // command loaded tfjs on the main thread unseen. Dynamic imports of tfjs or the engine are
      // refused here the same way (worker threads load them).
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ImportExpression[source.value=/^@tensorflow\\//]',
          message: 'The main thread never loads tfjs: compute in a worker thread (src/worker).',
        },
        {
          selector: 'ImportExpression[source.value=/^(\\.\\.\\/)+engine\\//]',
          message:
            'src/engine loads tfjs, which the main thread never does: run it in a worker thread (src/worker), as doctor-host.ts does.',
        },
      ],
    },
  },
  {
    // The command table holds commands of different argument types.
    files: ['src/commands/index.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
