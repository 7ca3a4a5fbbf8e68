/**
 * One benchmark case in a fresh process, so one case's JIT state and heap do not
 * colour the next. Arguments: bench module path, case spec (JSON), max time (s),
 * backend package dirs (JSON). Prints one JSON line: the Measured result.
 */
import { registerBackends } from './workspace.js';
import { measure } from './measure.js';
import type { BenchCaseSpec, BenchModule } from './types.js';
import { pathToFileURL } from 'node:url';

async function main(): Promise<void> {
  const [modulePath, specJson, maxTime, backendDirs] = process.argv.slice(2) as [string?, string?, string?, string?];
  if (!modulePath || !specJson) throw new Error('usage: bench-child <module> <spec-json> [maxTime] [backend-dirs-json]');
  // The module first: what it sets up at import (e.g. which addon build to load) holds
  // before the backends' addons load.
  const mod = ((await import(pathToFileURL(modulePath).href)) as { default: BenchModule }).default;
  await registerBackends(JSON.parse(backendDirs ?? '[]') as string[]);
  const spec = JSON.parse(specJson) as BenchCaseSpec;
  const bench = await mod.prepare(spec);
  const result = await measure(bench, Number(maxTime ?? 2));
  if (bench.kind !== 'measured' && bench.teardown) await bench.teardown();
  process.stdout.write(`\nQCO-BENCH-RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
