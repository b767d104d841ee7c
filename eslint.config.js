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
    // The command table holds commands of different argument types.
    files: ['src/commands/index.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
