/**
 * A hostile NFS server (test/fixtures/hostile-nfs.mjs: a scripted portmapper,
 * MOUNT and NFSv3 server, hand-written XDR) against the built qco-img / qco-io.
 * Each case runs in a network namespace of its own (`unshare --net`, loopback
 * only), so the fake portmapper owns 127.0.0.1:111 there and no real rpcbind
 * or nfs-ganesha on this machine is reached. The client runs with a 64 MiB
 * V8 heap: a server that makes it allocate without bound shows as a crash,
 * not as a slow pass.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const fixture = join(pkg, 'test/fixtures/hostile-nfs.mjs');

interface Outcome {
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Run `tool args…` (with {URI} for the server's nfs:// URI) against the server playing `scenario`. */
function against(scenario: string, tool: 'qco-img' | 'qco-io', args: string[]): Outcome {
  const bin = join(pkg, 'dist', `${tool}.cjs`);
  if (!existsSync(bin)) throw new Error(`${bin} is missing: build the package first (pnpm --filter @qco/drivers-block build)`);
  const argv = JSON.stringify([process.execPath, '--max-old-space-size=64', bin, ...args]);
  const r = spawnSync('unshare', ['--net', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', process.execPath, fixture, scenario, argv], {
    encoding: 'utf8',
    timeout: 90_000,
  });
  if (r.error || r.status !== 0) {
    throw new Error(`could not run the hostile server in its own network namespace (needs root, util-linux unshare and iproute2): ${r.error?.message ?? r.stderr}`);
  }
  return JSON.parse(r.stdout) as Outcome;
}

describe('/nfs/hostile-server', () => {
  it('an honest run of the scripted server opens and reads (the fixture itself works)', () => {
    const info = against('honest', 'qco-img', ['info', '{URI}']);
    expect(info.stderr).toBe('');
    expect(info.status).toBe(0);
    expect(info.stdout).toContain('virtual size: 1 MiB (1048576 bytes)');
    const read = against('honest', 'qco-io', ['-c', 'read -P 0 0 64k', '{URI}']);
    expect(read.status).toBe(0);
    expect(read.stdout).toContain('read 65536/65536 bytes at offset 0');
  });

  it('endless zero-length non-final fragments: a clear error, bounded memory, no hang', () => {
    const r = against('zero-fragments', 'qco-img', ['info', '{URI}']);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("qco-img: Could not open 'nfs://127.0.0.1/export/img': Failed to mount nfs share: RPC record of more than 8192 fragments exceeds the limit\n");
  });

  it('endless one-byte non-final fragments: bounded by the fragment count as well', () => {
    const r = against('tiny-fragments', 'qco-img', ['info', '{URI}']);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('RPC record of more than 8192 fragments exceeds the limit');
  });

  it('a GETATTR size of 2^64 - 1 is refused at open, not shown as 16 EiB', () => {
    const info = against('huge-size', 'qco-img', ['info', '{URI}']);
    expect(info.status).toBe(1);
    expect(info.stderr).toBe(
      "qco-img: Could not open 'nfs://127.0.0.1/export/img': Failed to fstat file: GETATTR reply with a file size of 18446744073709551615 bytes (more than 2^53 - 1)\n",
    );
    const read = against('huge-size', 'qco-io', ['-c', 'read 9000000000000000 512', '{URI}']);
    expect(read.status).toBe(1);
    expect(read.stdout).not.toContain('read 512/512');
    const convert = against('size-2p60', 'qco-img', ['convert', '-O', 'raw', '{URI}', '/dev/null']);
    expect(convert.status).toBe(1);
    expect(convert.stderr).toContain('Failed to fstat file: GETATTR reply with a file size of 1152921504606846976 bytes');
    expect(convert.stderr).not.toContain('out of range');
  });
});
