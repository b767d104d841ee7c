// ESLint (typescript-eslint) for the sources, tests and benchmarks; formatting is Prettier's job.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

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
    // Layers (ARCHITECTURE.md): the engine computes and knows nothing of the tutor, the commands, the
    // lessons or where runs are kept.
    files: ['src/engine/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+(ui|commands|lessons|runs|worker)/',
              message:
                'src/engine may not import the UI, commands, lessons, runs or worker layers: move the shared piece down into src/engine (or src/errors.ts).',
            },
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
      'src/probes/**/*.ts',
      'src/cli*.ts',
      'src/settings.ts',
      'src/worker/engine-host.ts',
      'src/worker/*protocol.ts',
      'src/worker/worker-path.ts',
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
              regex: '^(\\.\\./)+engine/(?!config\\.js$|memory-estimate\\.js$|probes/options\\.js$|data/|backends/native-home\\.js$)',
              allowTypeImports: true,
              message:
                'This engine module loads tfjs, which the main thread never does: import its types only (`import type`), or move the tfjs-free part into a spec module (engine/config.ts, engine/probes/options.ts).',
            },
          ],
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
