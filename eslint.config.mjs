// ESLint (typescript-eslint) with Prettier for layout, and module boundaries as import rules.
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** A module may not reach into these modules (STYLE: boundaries checked by a tool, not by hope). */
const boundary = (modules) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: modules.map((name) => ({
        group: [`**/${name}/*`, `../${name}/*`],
        message: `this module may not depend on ${name}/`,
      })),
    },
  ],
});

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'runs/', 'coverage/', '*.config.js'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // The console's browser code: plain ES modules served as they are (no build step).
  { files: ['public/**/*.js'], languageOptions: { sourceType: 'module', globals: globals.browser } },
  { files: ['src/events/**/*.ts'], rules: boundary(['jobs', 'gates', 'orchestrator', 'health']) },
  { files: ['src/jobs/**/*.ts'], rules: boundary(['gates', 'orchestrator', 'health']) },
  { files: ['src/orchestrator/**/*.ts'], rules: boundary(['gates', 'health']) },
  // jobctl is a client of the public HTTP API only.
  {
    files: ['src/cli/**/*.ts'],
    rules: boundary(['config', 'database', 'events', 'jobs', 'gates', 'orchestrator', 'health', 'security', 'metrics']),
  },
  { files: ['src/metrics/**/*.ts'], rules: boundary(['events', 'jobs', 'gates', 'orchestrator', 'health']) },
  {
    files: ['src/config/**/*.ts', 'src/database/**/*.ts', 'src/common/**/*.ts'],
    rules: boundary(['events', 'jobs', 'gates', 'orchestrator', 'health', 'security']),
  },
  { files: ['test/**/*.ts', 'bench/**/*.ts', '**/*.spec.ts'], rules: { 'no-restricted-imports': 'off' } },
);
