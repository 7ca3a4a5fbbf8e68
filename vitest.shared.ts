// One vitest setup for every package: tests resolve workspace packages from their
// TypeScript sources (the `qco-source` export condition), so no stale dist is
// tested, and each run leaves a JSON report that scripts/summarize-tests.mjs adds up.
import { defineConfig } from 'vitest/config';

export interface QcoVitestOptions {
  testTimeout?: number;
  execArgv?: string[];
  include?: string[];
  /** Run test files one at a time (tests that share a real peer or a port). */
  serial?: boolean;
  /** The package has an addon: tests load its test build (with the C test suite) unless a runner chose another (QCO_ADDON_VARIANT). */
  addon?: boolean;
}

export function qcoVitest(extra: QcoVitestOptions = {}) {
  return defineConfig({
    resolve: { conditions: ['qco-source'] },
    ssr: { resolve: { conditions: ['qco-source'] } },
    test: {
      include: extra.include ?? ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: extra.testTimeout ?? 60_000,
      hookTimeout: 120_000,
      pool: 'forks',
      reporters: ['default', ['json', { outputFile: '.qco-run/vitest.json' }]],
      ...(extra.serial ? { fileParallelism: false } : {}),
      ...(extra.execArgv ? { execArgv: extra.execArgv } : {}),
      ...(extra.addon ? { env: { QCO_ADDON_VARIANT: process.env['QCO_ADDON_VARIANT'] ?? 'test' } } : {}),
    },
  });
}
