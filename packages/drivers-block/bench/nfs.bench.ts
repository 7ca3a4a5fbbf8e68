/**
 * nfs driver throughput: sequential read and write of 256 MiB through
 * `qco-img convert` with an nfs:// image, beside `qemu-img convert` with the same
 * nfs:// image (QEMU's nfs driver on libnfs) and libnfs's own `nfs-cp`, all
 * against one real nfs-ganesha on 127.0.0.1 that the case starts for itself
 * (each case runs in a fresh process), so every figure has same-run baselines:
 * the ratio to qemu-img is the goal "≥ 1.0×". An in-process case (BlockBackend,
 * 8 requests of 2 MiB in flight, as qemu-img convert issues them) measures the
 * driver without the tool around it. Each sample is one whole transfer: one
 * warm-up, then `QCO_NFS_BENCH_SAMPLES` (default 4) timed runs. Both convert
 * tools overwrite one kept target (`-n`): first-touch of fresh page-cache
 * pages would swing either tool's time more than the difference measured; the
 * local image and target are on tmpfs where the machine has one (scratchPlace),
 * so neither tool's time depends on the disk's writeback.
 * The `(interleaved)` cases alternate qemu-img and qco-img run by run against
 * one ganesha and report the median of the per-round ratios, so the machine's
 * load hits both alike. `QCO_IMG_JS` points at another qco-img build than this
 * package's dist/qco-img.cjs (the installed executable).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useBackend } from '@qco/core';
import type { BenchCaseSpec, BenchFn, BenchModule } from '@qco/bench';
import { interleavedRatio } from './interleave.js';
import { TRANSFER_IN_FLIGHT as IN_FLIGHT, TRANSFER_SIZE as SIZE, blkTransfer, packageDir, run, scratchPlace, timedTransfers, transferCases, type Direction } from './transfer-util.js';
import { startGanesha, type GaneshaPeer } from '@qco/test-utils';
import { BlockBackend } from '../src/index.js';

/** Where the local image and the convert targets live (a tmpfs where there is one; said in each case's params). */
const LOCAL = scratchPlace(3 * SIZE);

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
  const dir = mkdtempSync(join(LOCAL.root, 'qco-nfs-bench-'));
  const remote = join(peer.exportDir, 'image.raw');
  const local = join(dir, 'local.raw');
  const data = randomBytes(SIZE);
  if (direction === 'read') {
    writeFileSync(remote, data);
    // The kept target both convert tools overwrite.
    writeFileSync(join(dir, 'out.raw'), '');
    truncateSync(join(dir, 'out.raw'), SIZE);
  } else {
    writeFileSync(local, data);
    writeFileSync(remote, '');
    truncateSync(remote, SIZE);
  }
  return { peer, dir, local, remote, url: peer.url('image.raw') };
}

/**
 * Before each run, outside the timing: nfs-cp creates its target exclusively,
 * so its previous output is removed and the remote copy goes to a fresh name
 * each time (the previous one is removed while no client holds it). The
 * convert tools overwrite their kept target.
 */
function clean(tool: Tool, s: Setup, run: number): string {
  if (tool !== 'nfs-cp') return s.url;
  rmSync(join(s.dir, 'out-cp.raw'), { force: true });
  rmSync(join(s.peer.exportDir, `copy-${run - 1}.raw`), { force: true });
  return s.peer.url(`copy-${run}.raw`);
}

/** One whole transfer with the given tool; `target` is the nfs-cp upload name. */
async function transfer(tool: Tool, direction: Direction, s: Setup, env: NodeJS.ProcessEnv, target: string): Promise<void> {
  const out = join(s.dir, 'out.raw');
  switch (tool) {
    case 'nfs-cp':
      return direction === 'read' ? run('/usr/bin/nfs-cp', [s.url, join(s.dir, 'out-cp.raw')]) : run('/usr/bin/nfs-cp', [s.local, target]);
    case 'qemu-img-convert':
      return direction === 'read'
        ? run('/usr/bin/qemu-img', ['convert', '-n', '-f', 'raw', '-O', 'raw', s.url, out])
        : run('/usr/bin/qemu-img', ['convert', '-n', '-f', 'raw', '-O', 'raw', s.local, s.url]);
    case 'qco-img-convert': {
      const cli = process.env['QCO_IMG_JS'] ?? join(packageDir(), 'dist', 'qco-img.cjs');
      if (!existsSync(cli)) throw new Error(`${cli} is missing: build @qco/drivers-block (qco-img) first`);
      return direction === 'read'
        ? run(process.execPath, [cli, 'convert', '-n', '-f', 'raw', '-O', 'raw', s.url, out], env)
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
/** qemu-img / qco-img pairs of an interleaved case. */
const ROUNDS = 5;

/** qemu-img convert's time over qco-img convert's (their speed ratio), alternating against one ganesha. */
function interleavedConvert(direction: Direction): BenchFn {
  return {
    kind: 'measured',
    run: async () => {
      const s = await setUp(direction);
      const timed = (tool: Tool) => async (): Promise<number> => {
        const t0 = process.hrtime.bigint();
        await transfer(tool, direction, s, process.env, s.url);
        return Number(process.hrtime.bigint() - t0) / 1e9;
      };
      try {
        return await interleavedRatio(ROUNDS, timed('qco-img-convert'), timed('qemu-img-convert'), undefined, ['qco-img', 'qemu-img']);
      } finally {
        await s.peer.stop();
        rmSync(s.dir, { recursive: true, force: true });
      }
    },
  };
}

const module: BenchModule = {
  suite: 'block/nfs',
  cases({ backends }) {
    const peer = ['/usr/bin/ganesha.nfsd', '/usr/sbin/rpcbind'];
    const interleaved: BenchCaseSpec[] = (['read', 'write'] as const).map((direction) => ({
      name: `nfs/${direction}/qco-img÷qemu-img (interleaved)`,
      measure: 'ratio',
      better: 'higher',
      unit: '×',
      requires: [...peer, 'qemu-img'],
      params: { size: `${SIZE / (1024 * 1024)} MiB`, direction, interleaved: true, rounds: ROUNDS, goal: '≥ 1.0×', localFiles: LOCAL.where },
    }));
    const separate = transferCases('nfs', 'nfs-cp', backends, SIZE, IN_FLIGHT, peer, '/usr/bin/nfs-cp').map((c) => ({ ...c, params: { ...c.params, localFiles: LOCAL.where } }));
    return [...separate, ...interleaved];
  },
  prepare(spec): BenchFn {
    if (spec.backend) useBackend(spec.backend);
    if (spec.params?.['interleaved'] === true) return interleavedConvert(spec.params['direction'] === 'write' ? 'write' : 'read');
    const [, direction, tool] = spec.name.split('/') as [string, Direction, Tool];
    if (!TOOLS.includes(tool)) throw new Error(`unknown nfs bench case ${spec.name}`);
    return {
      kind: 'measured',
      run: async () => {
        const s = await setUp(direction);
        const env = { ...process.env, ...(spec.backend ? { QCO_BACKEND: spec.backend } : {}) };
        try {
          return await timedTransfers(
            Number(process.env['QCO_NFS_BENCH_SAMPLES'] ?? 4),
            (i) => clean(tool, s, i),
            (target) => transfer(tool, direction, s, env, target),
          );
        } finally {
          await s.peer.stop();
          rmSync(s.dir, { recursive: true, force: true });
        }
      },
    };
  },
};

export default module;
