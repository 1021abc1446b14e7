// ESLint for oj (issue 17): the TypeScript rules worth keeping, type-aware
// where it pays (promises). Layer rules are dependency-cruiser's
// (.dependency-cruiser.cjs); `npm run lint` runs both.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: ['**/dist/**', '**/node_modules/**', 'packages/protocol/src/client-methods.ts', 'coverage/**', '.oj-demo/**', 'packages/cli/.probe/**'],
  },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: {
      parserOptions: {
        project: './tsconfig.lint.json',
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      // `typeof import('kysely')` stays allowed: a lazily required module's type.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
      // Terminal output is matched and cleaned on purpose (escape sequences, NUL).
      'no-control-regex': 'off',
      // Flags `let x = fallback; try { x = ... } catch { ... }`: more noise than help.
      'no-useless-assignment': 'off',
    },
  },
  {
    // One SQLite driver per process: better-sqlite3 13 on Node >= 22, the 12
    // alias on Node 20 (storage/sqlite-driver.ts picks). A second copy loaded
    // beside it crashes the process on Node 20; open databases with `Sqlite`.
    files: ['**/*.ts'],
    ignores: ['packages/daemon/src/storage/sqlite-driver.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: ['better-sqlite3', 'better-sqlite3-node20'].map((name) => ({
            name,
            message: 'open databases with Sqlite from packages/daemon/src/storage/sqlite-driver.ts (the driver for this Node.js)',
            allowTypeImports: true,
          })),
        },
      ],
    },
  },
  {
    // The dashboard's browser scripts (served by `oj ui`): the browser's globals, not Node's.
    files: ['packages/cli/web/**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        ['window', 'document', 'location', 'fetch', 'EventSource', 'URLSearchParams', 'FormData', 'DOMParser', 'CustomEvent', 'HTMLFormElement', 'getComputedStyle', 'setTimeout', 'clearTimeout', 'setInterval', 'console'].map(
          (name) => [name, 'readonly'],
        ),
      ),
    },
    rules: {
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    ignores: ['packages/cli/web/**'],
    extends: [js.configs.recommended],
    languageOptions: {
      // Node's globals, for the scripts and bins (plain JavaScript).
      globals: {
        ...Object.fromEntries(['process', 'console', 'Buffer', 'URL', 'AbortController', 'TextDecoder', 'TextEncoder', 'performance', 'fetch', 'structuredClone', 'queueMicrotask', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'require', '__dirname'].map((name) => [name, 'readonly'])),
        module: 'writable',
      },
    },
    rules: {
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      'no-empty': ['error', { allowEmptyCatch: true }],
      'no-control-regex': 'off',
      'no-useless-assignment': 'off',
    },
  },
);
