/**
 * @qco/eslint-plugin — what the type checker cannot say about coroutine_fns.
 * tsc already keeps a Co value from being used as its result (`const n: number =
 * blk.coPread(…)` is a type error) and a plain value from being `yield*`ed; these
 * type-aware rules catch the rest: a Co dropped, voided, awaited or returned from
 * an async function (`no-floating-co`), and a Co yielded without `*`
 * (`require-yield-star`). `configs.recommended` turns both on as errors.
 */
import type { TSESLint } from '@typescript-eslint/utils';
import { noFloatingCo } from './rules/no-floating-co.js';
import { requireYieldStar } from './rules/require-yield-star.js';

const rules = { 'no-floating-co': noFloatingCo, 'require-yield-star': requireYieldStar };

interface QcoPlugin {
  readonly meta: { readonly name: string; readonly version: string };
  readonly rules: typeof rules;
  readonly configs: { readonly recommended: TSESLint.FlatConfig.Config };
}

const plugin: QcoPlugin = {
  meta: { name: '@qco/eslint-plugin', version: '0.1.0' },
  rules,
  configs: {
    recommended: {
      name: '@qco/eslint-plugin/recommended',
      plugins: {},
      rules: { '@qco/no-floating-co': 'error', '@qco/require-yield-star': 'error' },
    },
  },
};
// The recommended config names the plugin itself (flat config needs the object).
(plugin.configs.recommended.plugins as Record<string, unknown>)['@qco'] = plugin;

/** The plugin: `rules` and `configs.recommended` (needs typed linting: parserOptions.projectService). */
export default plugin;
export { noFloatingCo, requireYieldStar };
