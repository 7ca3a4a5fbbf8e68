// The repository's ESLint setup: type-aware (typescript-eslint's project service
// finds each file's package tsconfig) with qco's own coroutine_fn rules on every
// TypeScript file of every package, and typescript-eslint's strict type-checked
// rules on every workspace package listed in STRICT (packages/, apps/ and the
// examples, each clean). Each package's `lint` script runs it.
import qco from '@qco/eslint-plugin';
import tseslint from 'typescript-eslint';

/** The packages under the strict type-checked rules: every one of the workspace. */
const STRICT = ['packages/core', 'packages/conformance', 'packages/backend-api', 'packages/backend-generator', 'packages/backend-asyncify', 'packages/backend-native-ucontext', 'packages/backend-sigaltstack', 'packages/backend-threads', 'packages/native-common', 'packages/test-utils', 'packages/nvme-emulator', 'packages/bench', 'packages/eslint-plugin', 'apps/dashboard', 'packages/drivers-block', 'examples'];

/**
 * drivers-block's rooms and what each may not import (the dependency runs one way:
 * tools -> exports -> drivers -> block; nbd/ is the protocol both NBD sides share).
 * The block layer knows no driver, no driver library and no emulator.
 */
const DRIVER_LIBRARIES = ['ssh2', '@jsonjoy.com/*', '@qco/nvme-emulator', '@qco/nvme-emulator/*', 'cli-progress'];
const LAYERS = [
  { room: 'block', forbidden: ['drivers', 'exports', 'nbd', 'tools', 'bin'], libraries: DRIVER_LIBRARIES },
  { room: 'nbd', forbidden: ['drivers', 'exports', 'tools', 'bin'], libraries: DRIVER_LIBRARIES },
  { room: 'drivers', forbidden: ['exports', 'tools', 'bin'], libraries: ['cli-progress'] },
  { room: 'exports', forbidden: ['drivers', 'tools', 'bin'], libraries: DRIVER_LIBRARIES },
];
const layering = LAYERS.map(({ room, forbidden, libraries }) => ({
  files: [`packages/drivers-block/src/${room}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths: [],
        patterns: [
          { regex: `^(\\.\\./)+(${forbidden.join('|')})(/|$)`, message: `drivers-block's src/${room}/ may not import from src/{${forbidden.join(',')}}/ (see docs/architecture.md, "The block layer").` },
          { group: libraries, message: `drivers-block's src/${room}/ may not import a driver's library or the emulator.` },
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/build/**', '**/build-*/**', '**/wasm/**', '**/test/fixtures/**', '**/*.config.ts', '**/*.js', '**/*.mjs', '**/*.cjs', '**/*.d.cts'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    ...qco.configs.recommended,
  },
  {
    files: STRICT.map((dir) => `${dir}/**/*.ts`),
    extends: [tseslint.configs.strictTypeChecked],
    rules: {
      // An unused parameter named _x is part of a signature the function must keep.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Messages carry QEMU's numbers (sizes, offsets, errno): numbers in templates are fine.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // `() => bh.delete()` callbacks are idiomatic; a void value in a statement position is still an error.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // Passing on a caught value as it came is not inventing a non-Error reason.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // The numeric enums are the wire values of the C and wasm protocols (CoroutineAction,
      // request kinds, context states): memory words and addon results are numbers by nature.
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
      '@typescript-eslint/no-unsafe-enum-assignment': 'off',
    },
  },
  ...layering,
);
