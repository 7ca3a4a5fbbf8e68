/**
 * The plumbing words shared between the emulated controller's worker and the
 * thread that owns its "PCI bus" side: what a real machine gets from the memory
 * controller and the MSI-X logic. Register writes land in BAR0 (a
 * SharedArrayBuffer); every MMIO write also bumps MMIO_SEQ so the worker notices it — the emulation
 * of the device observing its bus; it is notified (a futex wake, microseconds
 * of the writer's time) only when the worker says it sleeps, and a CQ head
 * doorbell only when the device waits for completion queue space. The
 * counters are the device's own statistics, read by tests and benchmarks.
 */

/** Int32 indices in the controller's control SharedArrayBuffer. */
export const Ctl = {
  /** Bumped (and notified) on every MMIO write; the worker sleeps on it. */
  MMIO_SEQ: 0,
  /** Set to 1 to make the worker exit. */
  STOP: 1,
  /** The interrupt line while no notifier is wired: 1 while an interrupt is pending. */
  IRQ_PENDING: 2,
  /** Writes to any submission queue tail doorbell. */
  SQ_DOORBELL_WRITES: 3,
  /** Writes to any completion queue head doorbell. */
  CQ_DOORBELL_WRITES: 4,
  /** Interrupts raised (one per MSI message the device would send). */
  INTERRUPTS: 5,
  /** Commands executed (admin and I/O). */
  COMMANDS: 6,
  /** Set to 1 once the worker runs its loop. */
  WORKER_READY: 7,
  /** Controller resets (CC.EN 1→0 and injected resets). */
  RESETS: 8,
  /** Writes to the I/O queue 1 tail doorbell (the one the driver batches). */
  IO_SQ_DOORBELL_WRITES: 9,
  /** Bumped by the worker after every CSTS change, so a waiter can sleep on it. */
  CSTS_SEQ: 10,
  /** 1 while the worker sleeps in Atomics.wait on MMIO_SEQ: only then does an MMIO write notify it. */
  ASLEEP: 11,
  /** 1 while the device stopped on a full completion queue: only then does a CQ head doorbell wake it. */
  CQ_WAIT: 12,
} as const;

/** Number of Int32 words in the control buffer. */
export const CTL_WORDS = 16;

/** What the worker receives in workerData. */
export interface ControllerWorkerData {
  /** BAR0: registers and doorbells. */
  bar: SharedArrayBuffer;
  /** The control words above. */
  ctl: SharedArrayBuffer;
  /** The "DMA" region: host memory the controller reads and writes through PRPs. */
  dma: SharedArrayBuffer;
  /** Namespace backing: memory (a SharedArrayBuffer of the namespace bytes) or a file path. */
  backing: { kind: 'memory'; data: SharedArrayBuffer } | { kind: 'file'; path: string; size: number; readOnly: boolean };
  /** Serial number and model reported by Identify Controller. */
  serial: string;
  model: string;
}

/** Messages the owner sends the worker on its control port. */
export type ControllerCommand =
  | { type: 'inject-error'; rule: InjectedErrorRule }
  | { type: 'clear-errors' }
  | { type: 'reset'; interrupt: boolean }
  | { type: 'set-irq'; notifier: IrqNotifier | null };

/**
 * Where the device's MSI-X vector points: an event notifier of the host (as VFIO
 * wires a vector to an eventfd). Setting it is the event notifier protocol of
 * @qco/core — store 1 in `flag`, post on `port`, bump and notify `wake`.
 */
export interface IrqNotifier {
  readonly flag: Int32Array;
  readonly wake: Int32Array;
  readonly port: import('node:worker_threads').MessagePort;
}

/** A fault: the next `count` matching commands complete with this status without running. */
export interface InjectedErrorRule {
  /** Opcode to match; undefined matches any. */
  opcode?: number;
  /** 'admin' (queue 0), 'io' (any I/O queue) or undefined for any. */
  queue?: 'admin' | 'io';
  /** Status code type (0 generic, 1 command specific, 2 media). */
  sct: number;
  /** Status code. */
  sc: number;
  /** Do Not Retry bit. */
  dnr?: boolean;
  /** How many commands to fail (default 1). */
  count?: number;
}
