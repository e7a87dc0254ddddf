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

/** Every folder of src/ that is a module of its own. */
const MODULES = [
  'domain',
  'store',
  'bus',
  'lifecycle',
  'sinks',
  'events',
  'jobs',
  'gates',
  'orchestrator',
  'health',
  'security',
  'metrics',
  'config',
  'cli',
  'console',
];
const without = (all, allowed) => all.filter((name) => !allowed.includes(name));

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
  // Data flows one way: controllers → lifecycle → store, then commit → sinks and the bus → streams.
  {
    files: ['src/domain/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.spec-helper.ts'],
    rules: boundary([...MODULES.filter((name) => name !== 'domain'), 'common', '@nestjs']),
  },
  { files: ['src/store/**/*.ts'], rules: boundary(without(MODULES, ['domain', 'store', 'config'])) },
  // The NATS bus reads the store for what the network lost (docs/ARCHITECTURE.md, "Cluster mode").
  { files: ['src/bus/**/*.ts'], rules: boundary(without(MODULES, ['domain', 'bus', 'store', 'config'])) },
  { files: ['src/lifecycle/**/*.ts'], rules: boundary(without(MODULES, ['domain', 'store', 'config', 'lifecycle'])) },
  {
    files: ['src/sinks/**/*.ts'],
    rules: boundary(without(MODULES, ['domain', 'store', 'bus', 'config', 'metrics', 'jobs', 'sinks'])),
  },
  {
    files: ['src/events/**/*.ts'],
    rules: boundary(without(MODULES, ['domain', 'store', 'bus', 'config', 'metrics', 'security', 'events'])),
  },
  {
    files: ['src/jobs/**/*.ts'],
    rules: boundary(without(MODULES, ['domain', 'store', 'config', 'lifecycle', 'security', 'jobs'])),
  },
  {
    files: ['src/gates/**/*.ts'],
    rules: boundary(without(MODULES, ['domain', 'store', 'config', 'lifecycle', 'jobs', 'security', 'gates'])),
  },
  {
    files: ['src/orchestrator/**/*.ts'],
    rules: boundary(without(MODULES, ['domain', 'store', 'bus', 'config', 'lifecycle', 'orchestrator'])),
  },
  // jobctl is a client of the public HTTP API only.
  { files: ['src/cli/**/*.ts'], rules: boundary(without(MODULES, ['cli', 'domain'])) },
  {
    files: ['src/metrics/**/*.ts'],
    rules: boundary(without(MODULES, ['domain', 'store', 'config', 'security', 'metrics'])),
  },
  {
    files: ['src/config/**/*.ts', 'src/common/**/*.ts'],
    rules: boundary(without(MODULES, ['domain', 'store', 'config'])),
  },
  { files: ['test/**/*.ts', 'bench/**/*.ts', '**/*.spec.ts'], rules: { 'no-restricted-imports': 'off' } },
);
