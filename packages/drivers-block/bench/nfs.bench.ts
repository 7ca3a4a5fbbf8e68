/**
 * nfs driver throughput: sequential read and write of 256 MiB through
 * `qco-img convert` with an nfs:// image, beside `qemu-img convert` with the same
 * nfs:// image (QEMU's nfs driver on libnfs) and libnfs's own `nfs-cp`, all
 * against one real nfs-ganesha on 127.0.0.1 that the case starts for itself
 * (each case runs in a fresh process), so every figure has same-run baselines:
 * the ratio to qemu-img is the goal "≥ 1.0×". An in-process case (BlockBackend,
 * 8 requests of 2 MiB in flight, as qemu-img convert issues them) measures the
 * driver without the tool around it. Each sample is one whole transfer: one
 * warm-up, then `QCO_NFS_BENCH_SAMPLES` (default 4) timed runs. `QCO_IMG_JS`
 * points at another qco-img build than this package's dist/qco-img.js.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useBackend } from '@qco/core';
import { measuredFromSamples as stats, type BenchFn, type BenchModule } from '@qco/bench';
import { TRANSFER_IN_FLIGHT as IN_FLIGHT, TRANSFER_SIZE as SIZE, blkTransfer, packageDir, run, transferCases, type Direction } from './transfer-util.js';
import { startGanesha, type GaneshaPeer } from '@qco/test-utils';
import { BlockBackend } from '../src/index.js';

type Tool = 'qemu-img-convert' | 'nfs-cp' | 'qco-img-convert' | 'qco-blk';

interface Setup {
  readonly peer: GaneshaPeer;
  readonly dir: string;
  readonly local: string;
  readonly remote: string;
  readonly url: string;
}

async function setUp(direction: Direction): Promise<Setup> {
  const peer = await startGanesha();
  const dir = mkdtempSync(join(tmpdir(), 'qco-nfs-bench-'));
  const remote = join(peer.exportDir, 'image.raw');
  const local = join(dir, 'local.raw');
  const data = randomBytes(SIZE);
  if (direction === 'read') {
    writeFileSync(remote, data);
  } else {
    writeFileSync(local, data);
    writeFileSync(remote, '');
    truncateSync(remote, SIZE);
  }
  return { peer, dir, local, remote, url: peer.url('image.raw') };
}

/**
 * Before each run, outside the timing: remove the previous run's output.
 * nfs-cp creates its target exclusively, so for it the remote copy goes to a
 * fresh name each time (the previous one is removed while no client holds it).
 */
function clean(tool: Tool, s: Setup, run: number): string {
  rmSync(join(s.dir, 'out.raw'), { force: true });
  if (tool !== 'nfs-cp') return s.url;
  rmSync(join(s.peer.exportDir, `copy-${run - 1}.raw`), { force: true });
  return s.peer.url(`copy-${run}.raw`);
}

/** One whole transfer with the given tool; `target` is the nfs-cp upload name. */
async function transfer(tool: Tool, direction: Direction, s: Setup, env: NodeJS.ProcessEnv, target: string): Promise<void> {
  const out = join(s.dir, 'out.raw');
  switch (tool) {
    case 'nfs-cp':
      return direction === 'read' ? run('/usr/bin/nfs-cp', [s.url, out]) : run('/usr/bin/nfs-cp', [s.local, target]);
    case 'qemu-img-convert':
      return direction === 'read'
        ? run('/usr/bin/qemu-img', ['convert', '-f', 'raw', '-O', 'raw', s.url, out])
        : run('/usr/bin/qemu-img', ['convert', '-n', '-f', 'raw', '-O', 'raw', s.local, s.url]);
    case 'qco-img-convert': {
      const built = ['qco-img.js', 'qco-img.cjs'].map((f) => join(packageDir(), 'dist', f)).find((f) => existsSync(f));
      const cli = process.env['QCO_IMG_JS'] ?? built ?? join(packageDir(), 'dist', 'qco-img.js');
      if (!existsSync(cli)) throw new Error(`${cli} is missing: build @qco/drivers-block (qco-img) first`);
      return direction === 'read'
        ? run(process.execPath, [cli, 'convert', '-f', 'raw', '-O', 'raw', s.url, out], env)
        : run(process.execPath, [cli, 'convert', '-n', '-f', 'raw', '-O', 'raw', s.local, s.url], env);
    }
    case 'qco-blk': {
      const blk = await BlockBackend.open(s.url, { readOnly: direction === 'read' });
      await blkTransfer(blk, direction, true);
      await blk.close();
      return;
    }
  }
}

const TOOLS: readonly Tool[] = ['qemu-img-convert', 'nfs-cp', 'qco-img-convert', 'qco-blk'];

const module: BenchModule = {
  suite: 'block/nfs',
  cases({ backends }) {
    return transferCases('nfs', 'nfs-cp', backends, SIZE, IN_FLIGHT, ['/usr/bin/ganesha.nfsd', '/usr/sbin/rpcbind'], '/usr/bin/nfs-cp');
  },
  async prepare(spec): Promise<BenchFn> {
    if (spec.backend) useBackend(spec.backend);
    const [, direction, tool] = spec.name.split('/') as [string, Direction, Tool];
    if (!TOOLS.includes(tool)) throw new Error(`unknown nfs bench case ${spec.name}`);
    return {
      kind: 'measured',
      run: async () => {
        const s = await setUp(direction);
        const env = { ...process.env, ...(spec.backend ? { QCO_BACKEND: spec.backend } : {}) };
        try {
          await transfer(tool, direction, s, env, clean(tool, s, 0));
          const samples: number[] = [];
          const n = Math.max(2, Number(process.env['QCO_NFS_BENCH_SAMPLES'] ?? 4));
          for (let i = 0; i < n; i++) {
            const target = clean(tool, s, i + 1);
            const t0 = process.hrtime.bigint();
            await transfer(tool, direction, s, env, target);
            samples.push(Number(process.hrtime.bigint() - t0) / 1e9);
          }
          return stats(samples);
        } finally {
          await s.peer.stop();
          rmSync(s.dir, { recursive: true, force: true });
        }
      },
    };
  },
};

export default module;
