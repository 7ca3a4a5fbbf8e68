// The repository's ESLint setup: type-aware (typescript-eslint's project service
// finds each file's package tsconfig) with qco's own coroutine_fn rules on every
// TypeScript file of every package. Each package's `lint` script runs it.
import qco from '@qco/eslint-plugin';
import tseslint from 'typescript-eslint';

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
);
