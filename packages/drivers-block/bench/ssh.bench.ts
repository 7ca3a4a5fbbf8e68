/**
 * ssh driver throughput: sequential read and write of 256 MiB through
 * `qco-img convert` with an ssh:// image, beside `qemu-img convert` with the same
 * ssh:// image and `scp` of the same file, all against one real sshd on
 * 127.0.0.1 that the case starts for itself (each case runs in a fresh process),
 * so every figure has same-run baselines: the ratio to qemu-img is the goal
 * "≥ 1.0×", the one to scp "≥ 0.8×". An in-process case (BlockBackend, 8
 * requests of 2 MiB in flight, as qemu-img convert issues them) measures the
 * driver without the tool around it. Each sample is one whole transfer: one
 * warm-up, then `QCO_SSH_BENCH_SAMPLES` (default 4) timed runs.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useBackend } from '@qco/core';
import type { BenchFn, BenchModule } from '@qco/bench';
import { TRANSFER_IN_FLIGHT as IN_FLIGHT, TRANSFER_SIZE as SIZE, blkTransfer, packageDir, run, timedTransfers, transferCases, type Direction } from './transfer-util.js';
import { startSshd, type SshdPeer } from '@qco/test-utils';
import { BlockBackend } from '../src/index.js';

type Tool = 'qemu-img-convert' | 'scp' | 'qco-img-convert' | 'qco-blk';

interface Setup {
  readonly peer: SshdPeer;
  readonly remote: string;
  readonly local: string;
  readonly env: NodeJS.ProcessEnv;
  url(path: string): string;
}

async function setUp(direction: Direction): Promise<Setup> {
  const peer = await startSshd();
  const agent = peer.startAgent();
  const remote = join(peer.dataDir, 'image.raw');
  const local = join(peer.dir, 'local.raw');
  const data = randomBytes(SIZE);
  if (direction === 'read') {
    writeFileSync(remote, data);
  } else {
    writeFileSync(local, data);
    writeFileSync(remote, '');
    truncateSync(remote, SIZE);
  }
  return {
    peer,
    remote,
    local,
    env: agent.env,
    url: (path) => peer.url(path, `?host_key_check=sha256:${peer.hostKeyHash()}`),
  };
}

/** One whole transfer with the given tool. */
async function transfer(tool: Tool, direction: Direction, s: Setup): Promise<void> {
  const out = join(s.peer.dir, 'out.raw');
  const scpArgs = ['-q', '-i', s.peer.clientKeyPath, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-P', String(s.peer.port)];
  const remoteScp = `${s.peer.user}@127.0.0.1:${s.remote}`;
  switch (tool) {
    case 'scp':
      return direction === 'read' ? run('/usr/bin/scp', [...scpArgs, remoteScp, out]) : run('/usr/bin/scp', [...scpArgs, s.local, remoteScp]);
    case 'qemu-img-convert':
      return direction === 'read'
        ? run('/usr/bin/qemu-img', ['convert', '-f', 'raw', '-O', 'raw', s.url(s.remote), out], s.env)
        : run('/usr/bin/qemu-img', ['convert', '-n', '-f', 'raw', '-O', 'raw', s.local, s.url(s.remote)], s.env);
    case 'qco-img-convert': {
      const cli = join(packageDir(), 'dist', 'qco-img.cjs');
      if (!existsSync(cli)) throw new Error(`${cli} is missing: build @qco/drivers-block (qco-img) first`);
      return direction === 'read'
        ? run(process.execPath, [cli, 'convert', '-f', 'raw', '-O', 'raw', s.url(s.remote), out], s.env)
        : run(process.execPath, [cli, 'convert', '-n', '-f', 'raw', '-O', 'raw', s.local, s.url(s.remote)], s.env);
    }
    case 'qco-blk': {
      const blk = await BlockBackend.open(s.url(s.remote), { options: { 'identity-file': s.peer.clientKeyPath }, readOnly: direction === 'read' });
      await blkTransfer(blk, direction, false);
      await blk.close();
      return;
    }
  }
}

const TOOLS: readonly Tool[] = ['qemu-img-convert', 'scp', 'qco-img-convert', 'qco-blk'];

const module: BenchModule = {
  suite: 'block/ssh',
  cases({ backends }) {
    return transferCases('ssh', 'scp', backends, SIZE, IN_FLIGHT, ['/usr/sbin/sshd'], '/usr/bin/scp');
  },
  prepare(spec): BenchFn {
    if (spec.backend) useBackend(spec.backend);
    const [, direction, tool] = spec.name.split('/') as [string, Direction, Tool];
    if (!TOOLS.includes(tool)) throw new Error(`unknown ssh bench case ${spec.name}`);
    return {
      kind: 'measured',
      run: async () => {
        const s = await setUp(direction);
        if (tool === 'qco-img-convert' && spec.backend) s.env['QCO_BACKEND'] = spec.backend;
        try {
          return await timedTransfers(Number(process.env['QCO_SSH_BENCH_SAMPLES'] ?? 4), () => undefined, () => transfer(tool, direction, s));
        } finally {
          await s.peer.stop();
          rmSync(s.peer.dir, { recursive: true, force: true });
        }
      },
    };
  },
};

export default module;
