/**
 * Finding the controller worker's code. A built package ships it as its own file
 * beside the bundle (dist/nvme-controller-worker.js or .cjs); when tests run
 * the TypeScript sources, Node cannot execute the .ts file in a worker, so it is
 * bundled in memory with esbuild (a build tool already in the workspace) and
 * started as an eval'd CommonJS script.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** How to start the worker: a file, or CommonJS source to eval. */
export type WorkerScript = { kind: 'file'; path: string } | { kind: 'eval'; code: string };

let cached: WorkerScript | undefined;

/** The controller worker's script, located once per process. */
export function controllerWorkerScript(): WorkerScript {
  if (cached !== undefined) return cached;
  const here = fileURLToPath(import.meta.url);
  const ext = here.endsWith('.cjs') ? '.cjs' : '.js';
  for (const rel of ['./', '../', '../../dist/']) {
    const candidate = fileURLToPath(new URL(`${rel}nvme-controller-worker${ext}`, import.meta.url));
    if (existsSync(candidate) && !here.endsWith('.ts')) return (cached = { kind: 'file', path: candidate });
  }
  const source = fileURLToPath(new URL('./controller-worker.ts', import.meta.url));
  if (!existsSync(source)) throw new Error(`Cannot find the NVMe controller worker next to ${here}`);
  return (cached = { kind: 'eval', code: bundleWithEsbuild(source) });
}

interface EsbuildLike {
  buildSync(o: object): { outputFiles: Array<{ text: string }> };
}

function bundleWithEsbuild(entry: string): string {
  const req = createRequire(import.meta.url);
  let esbuild: EsbuildLike;
  try {
    esbuild = req('esbuild') as EsbuildLike;
  } catch {
    // esbuild comes with tsup, which the workspace root has.
    esbuild = createRequire(req.resolve('tsup'))('esbuild') as EsbuildLike;
  }
  const out = esbuild.buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
  });
  return (out.outputFiles[0]).text;
}
