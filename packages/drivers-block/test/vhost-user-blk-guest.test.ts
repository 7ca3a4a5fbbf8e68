/**
 * A real Linux guest (Debian's cloud kernel under qemu-system-x86_64 -accel
 * tcg) on a disk qco serves through vhost-user-blk: every check below runs
 * inside a few boots (each 6–10 s), with the guest's results coming back over
 * the serial console and the host judging the image with qemu-io / qemu-img.
 * The same workload runs against qemu-storage-daemon's export of a copy of
 * the same image and must give the same results.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BlockBackend } from '../src/index.js';
import { linuxAio } from '../src/drivers/file/linux-aio.js';
import { startVhostUserBlkExport, type VhostUserBlkExport } from '../src/exports/vhost-user-blk/vhost-user-blk-export.js';
import { buildGuestIoTool, buildInitramfs, guestKernel, guestUnavailable, runGuest, vhostUserBlkDaemonArgs, type GuestKernel } from '@qco/test-utils';

const MiB = 1 << 20;
const IMAGE_SIZE = 128 * MiB;
const why = guestUnavailable();
if (why !== null) throw new Error(`the guest tests need a VM: ${why}`);

const daemonBin = fileURLToPath(new URL('../dist/qco-storage-daemon.cjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'qco-vu-guest-'));
const base = join(dir, 'base.img');
let kernel: GuestKernel;
let baseMd5: string;
const children: ChildProcess[] = [];

/** Patterns the guest writes, as (offset, length, byte): the host checks each with qemu-io. */
const PATTERNS: [number, number, number][] = [
  [1 * MiB, 4096, 0xa5],
  [17 * MiB + 4096, 65536, 0x5a],
  [100 * MiB - 512, 512, 0x3c],
  [32 * MiB, MiB, 0x11], // over the discarded range, so its content is defined again
];

/** dd writing `len` bytes of `byte` at `off` with O_DIRECT. */
function ddPattern([off, len, byte]: [number, number, number], fsync = false): string {
  const bs = len % 4096 === 0 && off % 4096 === 0 ? 4096 : 512;
  return `tr '\\0' '\\${byte.toString(8).padStart(3, '0')}' </dev/zero | dd of=/dev/vda bs=${bs} seek=${off / bs} count=${len / bs} oflag=direct iflag=fullblock${fsync ? ' conv=fsync' : ''} 2>/dev/null || echo "@@qco error dd ${off}"`;
}

/** The workload every boot shares: read, write patterns, flush, discard, write zeroes, random reads at depth 16. */
function workload(randReads: number): string {
  return [
    'echo "@@qco serial $(cat /sys/block/vda/serial)"',
    'echo "@@qco queues $(ls /sys/block/vda/mq | wc -l)"',
    // Write-through at start, as qemu-storage-daemon's export; then writeback (SET_CONFIG), so the guest flushes.
    'echo "@@qco cache $(cat /sys/block/vda/queue/write_cache)"',
    'echo "@@qco limits $(cat /sys/block/vda/queue/max_segment_size) $(cat /sys/block/vda/queue/max_segments)"',
    'echo "write back" > /sys/block/vda/cache_type',
    'echo "@@qco md5 $(dd if=/dev/vda bs=1M count=64 iflag=direct 2>/dev/null | md5sum | cut -d" " -f1)"',
    'blkdiscard -o 33554432 -l 1048576 /dev/vda; echo "@@qco discard $?"',
    ...PATTERNS.map((p, i) => ddPattern(p, i === PATTERNS.length - 1)),
    'echo "@@qco wrote"',
    '/bin/qco-guest-io zeroout /dev/vda 41943040 1048576',
    'echo "@@qco randread-start"',
    `/bin/qco-guest-io randread /dev/vda ${randReads} 16 7 67108864`,
    'echo "@@qco randread-end"',
    'echo "@@qco md5after $(dd if=/dev/vda bs=1M count=128 iflag=direct 2>/dev/null | md5sum | cut -d" " -f1)"',
  ].join('\n');
}

/** qemu-io's verdict on the patterns and the zeroed range. */
function verifyOnHost(img: string): string {
  const cmds = [...PATTERNS.map(([o, l, b]) => `read -P 0x${b.toString(16)} ${o} ${l}`), `read -P 0 ${40 * MiB} ${MiB}`];
  const r = spawnSync('qemu-io', ['-f', 'raw', ...cmds.flatMap((c) => ['-c', c]), img], { encoding: 'utf8' });
  return r.stdout + r.stderr;
}

function md5File(path: string, bytes: number): string {
  return createHash('md5').update(readFileSync(path).subarray(0, bytes)).digest('hex');
}

function freshCopy(name: string): string {
  const p = join(dir, name);
  copyFileSync(base, p);
  return p;
}

function startProcess(cmd: string, args: string[]): { p: ChildProcess; stderr: () => string } {
  const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(p);
  let err = '';
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return { p, stderr: () => err };
}

async function waitFor(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(() => {
  if (!existsSync(daemonBin)) throw new Error(`${daemonBin} is not built: run pnpm --filter @qco/drivers-block build first`);
  kernel = guestKernel();
  const data = randomBytes(IMAGE_SIZE);
  writeFileSync(base, data);
  baseMd5 = createHash('md5').update(data.subarray(0, 64 * MiB)).digest('hex');
}, 300_000);

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('vhost-user-blk with a real guest', () => {
  let exp: VhostUserBlkExport;
  let blk: BlockBackend;
  let img: string;
  const sock = join(dir, 'qco.sock');

  test('/vhost-user-blk/guest/no-shared-memory: QEMU refuses the memory map, the export stays usable', async () => {
    img = freshCopy('raw-1q.img');
    blk = await BlockBackend.open(`driver=file,filename=${img},aio=native,cache.direct=on`, { imageOpts: true, aio: 'native', cacheDirect: true });
    const logged: string[] = [];
    exp = await startVhostUserBlkExport({ node: blk, socket: sock, writable: true, numQueues: 1, serial: 'qco-raw', log: (l) => logged.push(l) });
    const initrd = buildInitramfs(kernel, 'echo "@@qco md5 unexpected"');
    const r = await runGuest({ kernel, initrd, vhostUser: [{ socket: sock }], sharedMemory: false, timeoutMs: 40_000, stopWhen: (_out, err) => /vhost start failed/.test(err) });
    expect(r.stderr).toContain('Failed initializing vhost-user memory map, consider using -object memory-backend-file share=on');
    expect(r.results.has('md5')).toBe(false);
    expect(exp.stats.requests).toBe(0);
    await exp.whenDisconnected();
  }, 60_000);

  test('/vhost-user-blk/guest/raw-1q: md5, patterns checked by qemu-io, flush, discard, write-zeroes, batching counters', async () => {
    const initrd = buildInitramfs(kernel, workload(3000), { files: { 'bin/qco-guest-io': buildGuestIoTool() } });
    // The file node's shared linux-aio context (aio=native): its io_submit calls and the requests they carried.
    const aio = linuxAio(1);
    if (aio === null) throw new Error('aio=native needs the linux-aio addon and io_setup');
    const at: Partial<Record<string, { stats: typeof exp.stats; aio: { submits: number; requests: number } }>> = {};
    const r = await runGuest({
      kernel,
      initrd,
      vhostUser: [{ socket: sock }],
      timeoutMs: 200_000,
      onResult: (l) => {
        if (l === 'randread-start' || l === 'randread-end') at[l] = { stats: { ...exp.stats }, aio: { submits: aio.submits, requests: aio.submitted } };
      },
    });
    expect(r.timedOut, `${r.console.slice(-3000)}\nexport: ${JSON.stringify(exp.stats)}`).toBe(false);
    expect(r.lines.filter((l) => l.startsWith('error'))).toEqual([]);
    expect(r.results.get('md5')).toBe(baseMd5);
    expect(r.results.get('serial')).toBe('qco-raw');
    expect(r.results.get('queues')).toBe('1');
    expect(r.results.get('cache')).toBe('write through');
    expect(r.results.get('limits')).toBe('4096 126');
    expect(exp.writeback).toBe(true);
    expect(r.results.get('discard')).toBe('0');
    expect(r.results.get('zeroout')).toBe('ok');
    await exp.whenDisconnected();
    const verdict = verifyOnHost(img);
    expect(verdict).not.toContain('failed');
    expect(verdict.match(/^read \d+\/\d+ bytes/gm)).toHaveLength(PATTERNS.length + 1);
    expect(r.results.get('md5after')).toBe(md5File(img, IMAGE_SIZE));
    expect(exp.requestCounts.flush).toBeGreaterThan(0);
    expect(exp.requestCounts.discard).toBeGreaterThan(0);
    expect(exp.requestCounts.writeZeroes).toBeGreaterThan(0);
    expect(exp.failures).toBe(0);

    // Batching over the depth-16 random reads: fewer guest notifications than requests, one per
    // notified batch, and fewer io_submit calls than requests.
    const s0 = at['randread-start'];
    const s1 = at['randread-end'];
    expect(s0 && s1).toBeTruthy();
    if (s0 === undefined || s1 === undefined) throw new Error('the guest printed no randread-start / randread-end mark');
    const d = (k: keyof typeof exp.stats): number => s1.stats[k] - s0.stats[k];
    const requests = d('requests');
    const submits = s1.aio.submits - s0.aio.submits;
    const submitted = s1.aio.requests - s0.aio.requests;
    console.log(`randread: ${requests} requests, ${d('kicks')} kicks, ${d('batches')} batches, ${d('notifications')} notifications (${(d('notifications') / requests).toFixed(3)}/request), ${d('suppressed')} suppressed; ${submits} io_submit for ${submitted} requests (${(submits / submitted).toFixed(3)}/request)`);
    expect(requests).toBeGreaterThan(2500);
    expect(d('notifications')).toBeLessThan(requests);
    expect(d('notifications') + d('suppressed')).toBe(d('batches'));
    expect(d('batches')).toBeLessThan(requests);
    expect(submitted).toBeGreaterThan(2500);
    expect(submits).toBeLessThan(submitted);
    await exp.close();
    await blk.close();
  }, 300_000);

  test('/vhost-user-blk/guest/qcow2-backing: qco-storage-daemon --blockdev driver=qcow2,file=<node> over a raw backing file, the same workload', async () => {
    const backing = freshCopy('backing.raw');
    const overlay = join(dir, 'overlay.qcow2');
    const mk = spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', backing, '-F', 'raw', overlay], { encoding: 'utf8' });
    expect(mk.status, mk.stderr).toBe(0);
    const qsock = join(dir, 'qcow2.sock');
    // qemu-storage-daemon's separate-node form: the qcow2 node takes the file node by its name and opens the backing file its header names.
    const d = startProcess(process.execPath, [
      daemonBin,
      '--blockdev',
      `driver=file,node-name=f,filename=${overlay}`,
      '--blockdev',
      'driver=qcow2,node-name=q,file=f',
      '--export',
      `type=vhost-user-blk,id=qco-qcow2,node-name=q,addr.type=unix,addr.path=${qsock},writable=on`,
    ]);
    await waitFor(() => existsSync(qsock) || d.p.exitCode !== null, 'the qco-storage-daemon socket');
    expect(d.p.exitCode, d.stderr()).toBe(null);
    const initrd = buildInitramfs(kernel, workload(1000), { files: { 'bin/qco-guest-io': buildGuestIoTool() } });
    const r = await runGuest({ kernel, initrd, vhostUser: [{ socket: qsock }], timeoutMs: 200_000 });
    const exited = new Promise<number | null>((res) => d.p.once('exit', (code) => res(code)));
    d.p.kill('SIGTERM');
    expect(await exited, d.stderr()).toBe(0);
    expect(r.timedOut, `${r.console.slice(-3000)}\ndaemon: ${d.stderr()}`).toBe(false);
    expect(r.lines.filter((l) => l.startsWith('error'))).toEqual([]);
    expect(r.results.get('md5')).toBe(baseMd5);
    expect(r.results.get('serial')).toBe('qco-qcow2');
    const check = spawnSync('qemu-img', ['check', overlay], { encoding: 'utf8' });
    expect(check.stdout + check.stderr).toContain('No errors were found on the image.');
    // The backing file is untouched; the overlay reads as the raw image the same workload produced.
    expect(md5File(backing, IMAGE_SIZE)).toBe(md5File(base, IMAGE_SIZE));
    const qio = spawnSync('qemu-io', ['-f', 'qcow2', ...[...PATTERNS.map(([o, l, b]) => `read -P 0x${b.toString(16)} ${o} ${l}`), `read -P 0 ${40 * MiB} ${MiB}`].flatMap((c) => ['-c', c]), overlay], { encoding: 'utf8' });
    expect(qio.stdout + qio.stderr).not.toContain('failed');
    const cmp = spawnSync('qemu-img', ['compare', '-f', 'qcow2', '-F', 'raw', overlay, img], { encoding: 'utf8' });
    expect(cmp.stdout.trim()).toBe('Images are identical.');
    expect(r.results.get('md5after')).toBe(md5File(img, IMAGE_SIZE));
  }, 300_000);

  const results: Partial<Record<string, Map<string, string>>> = {};
  let daemon: ReturnType<typeof startProcess>;
  const dsock = join(dir, 'daemon.sock');
  const pidfile = join(dir, 'daemon.pid');
  const args = (image: string, extra: string[] = []): string[] => [...vhostUserBlkDaemonArgs(image, dsock, 2), ...extra];

  test('/vhost-user-blk/guest/daemon-2q: qco-storage-daemon, 2 queues, 2 vCPUs', async () => {
    const image = freshCopy('daemon.img');
    daemon = startProcess(process.execPath, [daemonBin, ...args(image, ['--pidfile', pidfile])]);
    await waitFor(() => existsSync(pidfile), 'the pidfile');
    const initrd = buildInitramfs(kernel, workload(400), { files: { 'bin/qco-guest-io': buildGuestIoTool() } });
    const r = await runGuest({ kernel, initrd, smp: 2, vhostUser: [{ socket: dsock }], timeoutMs: 200_000 });
    expect(r.timedOut, r.console.slice(-3000) + daemon.stderr()).toBe(false);
    expect(r.lines.filter((l) => l.startsWith('error'))).toEqual([]);
    expect(r.results.get('queues')).toBe('2');
    expect(r.results.get('md5')).toBe(baseMd5);
    expect(readFileSync(pidfile, 'utf8').trim()).toBe(String(daemon.p.pid));
    results.qco = r.results;
    // SIGTERM: the daemon stops cleanly and removes its pidfile.
    const exited = new Promise<number | null>((res) => daemon.p.once('exit', (code) => res(code)));
    daemon.p.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(pidfile)).toBe(false);
    expect(verifyOnHost(image)).not.toContain('failed');
    expect(r.results.get('md5after')).toBe(md5File(image, IMAGE_SIZE));
  }, 300_000);

  test('/vhost-user-blk/guest/qemu-storage-daemon-2q: the same workload on qemu-storage-daemon gives the same results', async () => {
    const image = freshCopy('qsd.img');
    const qsock = join(dir, 'qsd.sock');
    const qsd = startProcess('qemu-storage-daemon', [
      '--blockdev',
      `driver=file,node-name=file,filename=${image},aio=native,cache.direct=on`,
      '--blockdev',
      'driver=raw,node-name=disk,file=file',
      '--export',
      `type=vhost-user-blk,id=disk0,node-name=disk,addr.type=unix,addr.path=${qsock},writable=on,num-queues=2`,
    ]);
    await waitFor(() => existsSync(qsock), 'the qemu-storage-daemon socket');
    const initrd = buildInitramfs(kernel, workload(400), { files: { 'bin/qco-guest-io': buildGuestIoTool() } });
    const r = await runGuest({ kernel, initrd, smp: 2, vhostUser: [{ socket: qsock }], timeoutMs: 200_000 });
    qsd.p.kill('SIGTERM');
    expect(r.timedOut, r.console.slice(-3000) + qsd.stderr()).toBe(false);
    for (const k of ['queues', 'cache', 'limits', 'md5', 'discard', 'zeroout', 'randread_sum', 'md5after']) expect([k, results.qco?.get(k)]).toEqual([k, r.results.get(k)]);
    const cmp = spawnSync('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', join(dir, 'daemon.img'), image], { encoding: 'utf8' });
    expect(cmp.stdout.trim()).toBe('Images are identical.');
  }, 300_000);

  test('/vhost-user-blk/guest/daemon-restart-and-kill: a restarted daemon (now over a nested-form qcow2 node) serves the next boot; killing it mid-run ends in QEMU\'s error, not a hang', async () => {
    // This time over a qcow2 overlay given in the nested form (file.driver=file,file.filename=…), its backing file opened from the header.
    const backing = freshCopy('restart-backing.raw');
    const overlay = join(dir, 'restart.qcow2');
    const mk = spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', backing, '-F', 'raw', overlay], { encoding: 'utf8' });
    expect(mk.status, mk.stderr).toBe(0);
    daemon = startProcess(process.execPath, [
      daemonBin,
      '--blockdev',
      `driver=qcow2,node-name=disk,file.driver=file,file.filename=${overlay},file.aio=native,file.cache.direct=on`,
      '--export',
      `type=vhost-user-blk,id=disk0,node-name=disk,addr.type=unix,addr.path=${dsock},writable=on`,
      '--pidfile',
      pidfile,
      '--daemonize',
    ]);
    // --daemonize: the parent exits 0 once the export listens; the daemon lives on.
    expect(await new Promise((res) => daemon.p.once('exit', res))).toBe(0);
    const pid = Number(readFileSync(pidfile, 'utf8'));
    expect(pid).toBeGreaterThan(0);
    const initrd = buildInitramfs(kernel, [
      'echo "@@qco md5 $(dd if=/dev/vda bs=1M count=64 iflag=direct 2>/dev/null | md5sum | cut -d" " -f1)"',
      'echo "@@qco reading"',
      'while true; do dd if=/dev/vda of=/dev/null bs=64k iflag=direct 2>/dev/null; done',
    ].join('\n'));
    let killed = false;
    const r = await runGuest({
      kernel,
      initrd,
      vhostUser: [{ socket: dsock }],
      timeoutMs: 60_000,
      onResult: (l) => {
        if (l === 'reading') {
          process.kill(pid, 'SIGKILL');
          killed = true;
        }
      },
      stopWhen: (_out, err) => killed && /vhost|disconnect|Connection reset|EOF/i.test(err),
    });
    expect(r.results.get('md5')).toBe(baseMd5);
    expect(killed).toBe(true);
    console.log(`QEMU after the daemon died: ${r.stderr.trim()}`);
    expect(r.timedOut).toBe(false);
    expect(r.stderr).toMatch(/Failed to set msg fds|ring restore failed|Failed to read msg header|Failed to write msg|vhost_reset_status failed/);
  }, 90_000);
});
