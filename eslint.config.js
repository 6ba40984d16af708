import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'coverage/**', 'data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: [
            '*.js',
            'scripts/*.js',
            'apps/server/bin/*.js',
            'apps/widget/*.js',
            'apps/console/*.ts',
            'bench/*.js',
          ],
        },
      },
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Fastify hooks and plugins are async by contract, with or without an await inside.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['apps/server/src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['fastify', '@fastify/*', 'fastify-*'],
              message: 'domain/ does not know HTTP: return results, let http/ present them.',
            },
            { group: ['ws'], message: 'domain/ does not know sockets: the realtime/ layer calls use cases.' },
            {
              group: ['**/http/**', '**/realtime/**'],
              message: 'domain/ is called by http/ and realtime/, never the other way.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/server/src/http/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['kysely', 'pg', 'better-sqlite3'],
              message: 'No SQL in http/: call a use case or a storage function.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/widget/**/*.ts', 'apps/widget/**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', '@plauder/server', '**/server/src/**'],
              message: 'The widget runs in browsers: no Node modules, nothing of the server.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/console/src/**/*.ts', 'apps/console/src/**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', '@plauder/server', '@plauder/widget', '**/server/src/**', '**/widget/src/**'],
              message: 'The console talks to the server only through @plauder/protocol types and HTTP/WebSocket.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'apps/server/src/test-support/**'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
