/**
 * A real Linux guest for tests, under qemu-system-x86_64 -accel tcg: a Debian
 * cloud kernel fetched with `apt-get download` and unpacked with `dpkg -x` into
 * a cache directory (never installed), an initramfs built at test time from
 * busybox-static and the kernel's virtio modules, a workload script run by
 * /init, results printed on the serial console as `@@qco key value` lines.
 * Every run is bounded by a timeout and killed when it passes it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** An unpacked kernel. */
export interface GuestKernel {
  readonly vmlinuz: string;
  readonly version: string;
  readonly modulesDir: string;
}

/** The virtio modules and their load order (the cloud kernel builds virtio as modules). */
const VIRTIO_MODULES = ['virtio_ring', 'virtio', 'virtio_pci_modern_dev', 'virtio_pci_legacy_dev', 'virtio_pci', 'virtio_blk'];

/** Why a guest cannot run on this machine, or null when it can. */
export function guestUnavailable(): string | null {
  for (const tool of ['qemu-system-x86_64', 'busybox', 'apt-get', 'dpkg']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed (setup/apt-peers.txt lists qemu-system-x86 and busybox-static)`;
    }
  }
  return null;
}

/** The cloud kernel, downloaded and unpacked once into `cacheDir`. */
export function guestKernel(cacheDir = process.env.QCO_GUEST_CACHE ?? join(tmpdir(), 'qco-guest-kernel')): GuestKernel {
  const root = join(cacheDir, 'root');
  const found = findKernel(root);
  if (found) return found;
  mkdirSync(cacheDir, { recursive: true });
  const dl = mkdtempSync(join(cacheDir, 'dl-'));
  try {
    execFileSync('apt-get', ['download', 'linux-image-cloud-amd64'], { cwd: dl, stdio: 'pipe' });
    const meta = readdirSync(dl).find((f) => f.endsWith('.deb')) as string;
    const depends = execFileSync('dpkg-deb', ['-f', join(dl, meta), 'Depends'], { encoding: 'utf8' });
    const image = /linux-image-[0-9][^ ,]*-cloud-amd64/.exec(depends)?.[0];
    if (!image) throw new Error(`linux-image-cloud-amd64 depends on no versioned image: ${depends}`);
    execFileSync('apt-get', ['download', image], { cwd: dl, stdio: 'pipe' });
    const deb = readdirSync(dl).find((f) => f.startsWith(`${image}_`)) as string;
    const tmpRoot = mkdtempSync(join(cacheDir, 'root-'));
    execFileSync('dpkg', ['-x', join(dl, deb), tmpRoot]);
    renameSync(tmpRoot, root);
  } finally {
    rmSync(dl, { recursive: true, force: true });
  }
  const k = findKernel(root);
  if (!k) throw new Error(`no vmlinuz in ${root}`);
  return k;
}

function findKernel(root: string): GuestKernel | null {
  const boot = join(root, 'boot');
  if (!existsSync(boot)) return null;
  const v = readdirSync(boot).find((f) => f.startsWith('vmlinuz-'));
  if (!v) return null;
  const version = v.slice('vmlinuz-'.length);
  return { vmlinuz: join(boot, v), version, modulesDir: join(root, 'lib', 'modules', version) };
}

function findModule(dir: string, name: string): string {
  const stack = [join(dir, 'kernel', 'drivers')];
  while (stack.length > 0) {
    const d = stack.pop() as string;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) stack.push(join(d, e.name));
      else if (e.name === `${name}.ko`) return join(d, e.name);
    }
  }
  throw new Error(`module ${name} not found under ${dir}`);
}

let guestIoTool: string | undefined;

/** qco-guest-io (random reads at depth with native AIO, timed sequential I/O, BLKZEROOUT), built once per process with gcc -static. */
export function buildGuestIoTool(): string {
  if (guestIoTool !== undefined && existsSync(guestIoTool)) return guestIoTool;
  const out = join(mkdtempSync(join(tmpdir(), 'qco-guest-io-')), 'qco-guest-io');
  const src = fileURLToPath(new URL('../guest/qco-guest-io.c', import.meta.url));
  execFileSync('gcc', ['-static', '-O2', '-o', out, src], { stdio: 'pipe' });
  guestIoTool = out;
  return out;
}

/** Files to add to the initramfs: guest path → host file. */
export type GuestFiles = Readonly<Record<string, string>>;

/**
 * An initramfs whose /init loads the virtio modules, waits for `waitFor`
 * (default /dev/vda), runs `workload` (sh) and powers off; `@@qco` lines carry results.
 */
export function buildInitramfs(kernel: GuestKernel, workload: string, opts: { files?: GuestFiles; waitFor?: string[] } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'qco-initrd-'));
  const stage = join(dir, 'root');
  for (const d of ['bin', 'dev', 'proc', 'sys', 'lib', 'tmp']) mkdirSync(join(stage, d), { recursive: true });
  const busybox = execFileSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).trim();
  copyFileSync(busybox, join(stage, 'bin', 'busybox'));
  for (const m of VIRTIO_MODULES) copyFileSync(findModule(kernel.modulesDir, m), join(stage, 'lib', `${m}.ko`));
  for (const [to, from] of Object.entries(opts.files ?? {})) {
    copyFileSync(from, join(stage, to));
    chmodSync(join(stage, to), 0o755);
  }
  const waits = (opts.waitFor ?? ['/dev/vda']).map((d) => `w=0; while [ ! -b ${d} ] && [ $w -lt 200 ]; do usleep 50000; w=$((w+1)); done; [ -b ${d} ] || echo "@@qco missing ${d}"`);
  const init = [
    '#!/bin/busybox sh',
    '/bin/busybox --install -s /bin',
    'mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev',
    'exec </dev/console >/dev/console 2>&1',
    ...VIRTIO_MODULES.map((m) => `insmod /lib/${m}.ko`),
    ...waits,
    'echo "@@qco booted"',
    workload,
    'echo "@@qco end"',
    'poweroff -f',
    '',
  ].join('\n');
  writeFileSync(join(stage, 'init'), init, { mode: 0o755 });
  const out = join(dir, 'init.cpio');
  execFileSync('sh', ['-c', `cd "${stage}" && find . | busybox cpio -o -H newc > "${out}" 2>/dev/null`]);
  rmSync(stage, { recursive: true, force: true });
  return out;
}

/** One guest run. */
export interface GuestRunOptions {
  readonly kernel: GuestKernel;
  readonly initrd: string;
  /** vhost-user-blk sockets, each a `-device vhost-user-blk-pci` (with its num-queues if given). */
  readonly vhostUser?: readonly { socket: string; numQueues?: number }[];
  /** Extra qemu arguments (other disks, …). */
  readonly qemuArgs?: readonly string[];
  /** vCPUs (default 1). */
  readonly smp?: number;
  /** Guest RAM in MiB (default 512). */
  readonly memMiB?: number;
  /** Whether guest RAM is a shared memfd (default true; vhost-user needs it). */
  readonly sharedMemory?: boolean;
  /** Kill QEMU after this long (default 60 s). */
  readonly timeoutMs?: number;
  /** Called with each `@@qco` line as it arrives (while the guest runs). */
  readonly onResult?: (line: string) => void;
  /** Kill QEMU as soon as this says so (checked on every output chunk). */
  readonly stopWhen?: (console: string, stderr: string) => boolean;
}

/** What a run produced. */
export interface GuestRun {
  /** QEMU's exit code (null when killed). */
  readonly code: number | null;
  readonly timedOut: boolean;
  /** The serial console and QEMU's stderr. */
  readonly console: string;
  readonly stderr: string;
  /** `@@qco key value…` lines: key → the rest of its last line. */
  readonly results: Map<string, string>;
  /** Every `@@qco` line in order. */
  readonly lines: string[];
}

/** Boot a guest and wait for it to power off (or be killed at the timeout). */
export function runGuest(o: GuestRunOptions): Promise<GuestRun> {
  const mem = o.memMiB ?? 512;
  const args = ['-machine', 'q35', '-accel', 'tcg', '-m', `${mem}`, '-smp', `${o.smp ?? 1}`, '-nographic', '-no-reboot', '-nic', 'none'];
  args.push('-kernel', o.kernel.vmlinuz, '-initrd', o.initrd, '-append', 'console=ttyS0 quiet panic=-1');
  if (o.sharedMemory ?? true) args.push('-object', `memory-backend-memfd,id=mem,size=${mem}M,share=on`, '-numa', 'node,memdev=mem');
  (o.vhostUser ?? []).forEach((d, i) => {
    args.push('-chardev', `socket,id=vu${i},path=${d.socket}`);
    args.push('-device', `vhost-user-blk-pci,chardev=vu${i}${d.numQueues ? `,num-queues=${d.numQueues}` : ''}`);
  });
  args.push(...(o.qemuArgs ?? []));
  return new Promise((resolve) => {
    const p = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timedOut = false;
    let partial = '';
    const check = (): void => {
      if (o.stopWhen?.(out, err) === true) p.kill('SIGKILL');
    };
    p.stdout.on('data', (d: Buffer) => {
      const text = d.toString('latin1');
      out += text;
      partial += text;
      const parts = partial.split(/\r?\n/);
      partial = parts.pop() as string;
      for (const l of parts) if (l.startsWith('@@qco ')) o.onResult?.(l.slice(6).trim());
      check();
    });
    p.stderr.on('data', (d: Buffer) => {
      err += d.toString('latin1');
      check();
    });
    const timer = setTimeout(() => {
      timedOut = true;
      p.kill('SIGKILL');
    }, o.timeoutMs ?? 60_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      const lines = out
        .split(/\r?\n/)
        .filter((l) => l.startsWith('@@qco '))
        .map((l) => l.slice(6).trim());
      const results = new Map<string, string>();
      for (const l of lines) {
        const sp = l.indexOf(' ');
        results.set(sp < 0 ? l : l.slice(0, sp), sp < 0 ? '' : l.slice(sp + 1));
      }
      resolve({ code, timedOut, console: out, stderr: err, results, lines });
    });
  });
}

/**
 * The storage daemon's command line the guest tests and the vhost-user-blk bench
 * give both qemu-storage-daemon and qco-storage-daemon: `image` as a raw node
 * over the file driver (linux-aio, O_DIRECT), exported writable as vhost-user-blk
 * with `numQueues` queues on the unix socket `socket`.
 */
export function vhostUserBlkDaemonArgs(image: string, socket: string, numQueues: number): string[] {
  return [
    '--blockdev',
    `driver=file,node-name=file,filename=${image},aio=native,cache.direct=on`,
    '--blockdev',
    'driver=raw,node-name=disk,file=file',
    '--export',
    `type=vhost-user-blk,id=disk0,node-name=disk,addr.type=unix,addr.path=${socket},writable=on,num-queues=${numQueues}`,
  ];
}
