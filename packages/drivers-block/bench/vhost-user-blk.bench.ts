/**
 * A real guest's I/O on our vhost-user-blk export beside qemu-storage-daemon's
 * export of the same image, in the same run: guest-side times (measured inside
 * the guest by qco-guest-io) of a sequential 64 MiB O_DIRECT read and write
 * (1 MiB requests) and of 4 KiB random reads at depth 16, each boot running
 * the whole workload once untimed first (the same warm-up for both daemons).
 * One guest boot gives all three figures; boots alternate between the two
 * daemons, in swapped order every round (qco, qemu, qemu, qco, …), so drift on a shared machine hits both alike, and each case reports the
 * median of its boots. The first case to run does the interleaved boots and
 * leaves every figure in a file keyed by the harness's pid; the other cases of
 * the run read it. Both daemons run as processes: qco-storage-daemon from
 * dist/, qemu-storage-daemon from Debian's qemu-system-common. Beside each
 * rate: the daemon's CPU over each timed pass (all its threads, from
 * /proc schedstat), the load at each boot and, for ours, the per-round ratio.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchCaseSpec, BenchFn, BenchModule, Measured } from '@qco/bench';
import { buildGuestIoTool, buildInitramfs, guestKernel, runGuest, vhostUserBlkDaemonArgs } from '@qco/test-utils';
import { median } from './interleave.js';

/**
 * Boots per daemon. Single rounds' ratios spread 0.5–1.9 under TCG here. With
 * five rounds, four runs of this case on an idle machine within half an hour
 * gave sequential-write medians from 0.69 to 0.88. Nine rounds narrow that, for
 * little: the whole case took 77 s here with nine, 66–73 s with five.
 */
const ROUNDS = 9;
const SEQ_BYTES = 64 << 20;
const RAND_READS = 4000;
const METRICS = ['seq-read', 'seq-write', 'rand-read-4k-qd16'] as const;
type Metric = (typeof METRICS)[number];
type Daemon = 'qco-storage-daemon' | 'qemu-storage-daemon';
/** One boot's figures for one metric: the guest's rate, the daemon's CPU seconds over that timed pass, the 1-minute load at boot. */
interface Sample {
  readonly rate: number;
  readonly cpu: number;
  readonly load: number;
}
/** Per daemon, per metric: one sample per boot (boot i of both daemons is round i). */
type Figures = Record<Daemon, Record<Metric, Sample[]>>;
/** The guest line that ends each metric's timed pass. */
const RESULT_KEYS: Readonly<Record<Metric, string>> = { 'seq-read': 'seqread_us', 'seq-write': 'seqwrite_us', 'rand-read-4k-qd16': 'randread_us' };

/** The harness process's start time (clock ticks since boot): with its pid, a key no later run shares once the pid is reused. */
function parentStart(): string {
  try {
    return readFileSync(`/proc/${process.ppid}/stat`, 'utf8').split(') ')[1].split(' ')[19];
  } catch {
    return '0';
  }
}

const resultsFile = join(tmpdir(), `qco-vhost-user-bench-${process.ppid}-${parentStart()}.json`);

function startDaemon(which: Daemon, image: string, sock: string): ChildProcess {
  const args = vhostUserBlkDaemonArgs(image, sock, 1);
  if (which === 'qemu-storage-daemon') return spawn('qemu-storage-daemon', args, { stdio: 'ignore' });
  const bin = fileURLToPath(new URL('../dist/qco-storage-daemon.cjs', import.meta.url));
  return spawn(process.execPath, [bin, ...args], { stdio: 'ignore' });
}

/** CPU seconds a process has run so far, all its threads (schedstat: nanoseconds on a CPU); NaN once it is gone. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread ended meanwhile
      }
    }
    return ns / 1e9;
  } catch {
    return Number.NaN;
  }
}

async function waitForSocket(sock: string): Promise<void> {
  for (let i = 0; i < 500 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 20));
  if (!existsSync(sock)) throw new Error(`no socket at ${sock}`);
}

/** Boot once per daemon per round, alternating, and collect the guest's timings. */
async function measureAll(): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'qco-vu-bench-'));
  try {
    const image = join(dir, 'disk.img');
    const chunk = Buffer.alloc(1 << 20);
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 131 + 7) & 0xff;
    writeFileSync(image, Buffer.concat(Array.from({ length: 128 }, () => chunk)));
    const kernel = guestKernel();
    const workload = [
      `/bin/qco-guest-io seqread /dev/vda ${SEQ_BYTES} 1048576`,
      `/bin/qco-guest-io seqwrite /dev/vda ${SEQ_BYTES} 1048576 90`,
      `/bin/qco-guest-io randread /dev/vda ${RAND_READS} 16 11 ${SEQ_BYTES * 2}`,
    ];
    // Each boot runs the workload once untimed (its results go nowhere), then timed: both daemons
    // are measured warm, as is the guest's own TCG translation cache (its first pass is slower
    // against either daemon), and a JIT's first thousands of requests are not what is compared.
    // The marker between the passes starts the daemon CPU count of the timed pass's first metric.
    const initrd = buildInitramfs(kernel, [...workload.map((c) => `${c} >/dev/null`), 'echo "@@qco timed"', ...workload].join('\n'), {
      files: { 'bin/qco-guest-io': buildGuestIoTool() },
    });
    const figures: Figures = {
      'qco-storage-daemon': { 'seq-read': [], 'seq-write': [], 'rand-read-4k-qd16': [] },
      'qemu-storage-daemon': { 'seq-read': [], 'seq-write': [], 'rand-read-4k-qd16': [] },
    };
    for (let round = 0; round < ROUNDS; round++) {
      const order = ['qco-storage-daemon', 'qemu-storage-daemon'] as const;
      for (const which of round % 2 === 0 ? order : [...order].reverse()) {
        const sock = join(dir, `${which}.sock`);
        const d = startDaemon(which, image, sock);
        try {
          await waitForSocket(sock);
          const load = loadavg()[0];
          // Daemon CPU read as each timed result line arrives: the CPU of that pass alone.
          const cpuAt = new Map<string, number>();
          const r = await runGuest({
            kernel,
            initrd,
            vhostUser: [{ socket: sock }],
            timeoutMs: 240_000,
            onResult: (line) => {
              const key = line.split(' ')[0];
              if (!cpuAt.has(key)) cpuAt.set(key, cpuSeconds(d.pid));
            },
          });
          const us = (k: string): number => {
            const v = Number(r.results.get(k));
            if (!(v > 0)) throw new Error(`${which}: the guest reported no ${k} (${r.lines.join('; ')})`);
            return v / 1e6;
          };
          let before = cpuAt.get('timed') ?? Number.NaN;
          for (const metric of METRICS) {
            const key = RESULT_KEYS[metric];
            const after = cpuAt.get(key) ?? Number.NaN;
            const rate = metric === 'rand-read-4k-qd16' ? RAND_READS / us(key) : SEQ_BYTES / us(key);
            figures[which][metric].push({ rate, cpu: after - before, load });
            before = after;
          }
        } finally {
          d.kill('SIGTERM');
          await new Promise((r) => d.once('exit', r));
        }
      }
    }
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function figures(): Promise<Figures> {
  if (existsSync(resultsFile)) return JSON.parse(readFileSync(resultsFile, 'utf8')) as Figures;
  const f = await measureAll();
  writeFileSync(resultsFile, JSON.stringify(f));
  return f;
}


function measured(which: Daemon, metric: Metric): BenchFn {
  return {
    kind: 'measured',
    async run(): Promise<Measured> {
      const all = await figures();
      const own = all[which][metric];
      const rates = own.map((x) => x.rate);
      const mid = median(rates);
      const spread = rates.length > 1 ? (100 * (Math.max(...rates) - Math.min(...rates))) / 2 / mid : 0;
      // Round i of both daemons ran back to back: their ratio is the least drift-prone figure.
      const other = all[which === 'qco-storage-daemon' ? 'qemu-storage-daemon' : 'qco-storage-daemon'][metric];
      const info: Record<string, string | number> = {
        'daemon CPU ms (median of the timed passes)': Number((median(own.map((x) => x.cpu)) * 1000).toFixed(2)),
        'daemon CPU ms per boot': own.map((x) => (x.cpu * 1000).toFixed(1)).join(' '),
        'load at each boot': own.map((x) => x.load.toFixed(1)).join(' '),
      };
      if (which === 'qco-storage-daemon') info['per-round ratio to qemu-storage-daemon'] = own.map((x, i) => (x.rate / other[i].rate).toFixed(2)).join(' ');
      return { hz: mid, rme: spread, samples: rates.length, info };
    },
  };
}

const module: BenchModule = {
  suite: 'vhost-user-blk',
  cases() {
    const cases: BenchCaseSpec[] = [];
    for (const metric of METRICS) {
      const unit = metric === 'rand-read-4k-qd16' ? 'request' : 'byte';
      const params = metric === 'rand-read-4k-qd16' ? { depth: 16, size: '4k', requests: RAND_READS, guest: 'tcg' } : { bytes: SEQ_BYTES, size: '1M', direct: true, guest: 'tcg' };
      cases.push({ name: `qemu-storage-daemon/${metric}`, unit, params });
      cases.push({ name: `qco-storage-daemon/${metric}`, unit, baseline: `qemu-storage-daemon/${metric}`, params });
    }
    return cases;
  },
  prepare(spec): BenchFn {
    const [which, metric] = spec.name.split('/') as [Daemon, Metric];
    if (!METRICS.includes(metric)) throw new Error(`unknown case ${spec.name}`);
    return measured(which, metric);
  },
};

export default module;
