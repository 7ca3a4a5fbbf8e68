/**
 * What the whole-transfer benchmarks (ssh, nfs) share: where the package lives
 * (to find its built tools) and running an external command to completion.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchCaseSpec } from '@qco/bench';

/** The package directory (.qco-bench/*.bench.mjs, where qco-perf bundles the module → the package). */
export function packageDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..');
}

/** Run `cmd args` to completion; rejects with its stderr when it fails. */
export function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env: env ?? process.env, maxBuffer: 16 * 1024 * 1024 }, (err, _out, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr.trim() || err.message}`));
      else resolve();
    });
  });
}

/**
 * The case list of a whole-transfer suite (`protocol` ssh or nfs): for each
 * direction, qemu-img convert (the baseline), the protocol's own copy tool,
 * qco-img convert, and the in-process BlockBackend with `inFlight` 2 MiB requests.
 * qco-img runs as its own process, which finds its backend as any consumer does;
 * the backends are compared in-process elsewhere, so the tool runs on the default
 * one, as the block suite's file cases do. `peer` lists the executables of the
 * real peer the cases start and `copyPath` the copy tool's, so a machine without
 * them skips the cases, saying which package is missing.
 */
export function transferCases(protocol: string, copyTool: string, backends: readonly string[], size: number, inFlight: number, peer: readonly string[], copyPath: string): BenchCaseSpec[] {
  const cases: BenchCaseSpec[] = [];
  const common = { opsPerCall: size, unit: 'byte', requires: peer, params: { size: `${size / (1024 * 1024)} MiB` } } as const;
  for (const direction of ['read', 'write'] as const) {
    const base = `${protocol}/${direction}/qemu-img-convert`;
    const copy = `${protocol}/${direction}/${copyTool}`;
    cases.push({ name: base, ...common, requires: [...peer, 'qemu-img'] }, { name: copy, ...common, requires: [...peer, copyPath] });
    if (backends.includes('generator')) {
      cases.push({ name: `${protocol}/${direction}/qco-img-convert`, backend: 'generator', baseline: base, compareWith: [copy], ...common });
    }
    cases.push({
      name: `${protocol}/${direction}/qco-blk`,
      ...(backends[0] !== undefined ? { backend: backends[0] } : {}),
      baseline: base,
      compareWith: [copy],
      ...common,
      params: { ...common.params, requests: `${inFlight} × 2 MiB in flight`, note: 'in-process BlockBackend, no local file' },
    });
  }
  return cases;
}
