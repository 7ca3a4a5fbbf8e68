/**
 * The host's handle on an emulated NVMe controller: it starts the worker that
 * plays the device, owns the shared memory that stands for BAR0 and for the
 * host memory the device may DMA to, and exposes what a test bench would clip
 * onto real hardware — the doorbell and interrupt counters, error injection and
 * a "yank the controller" reset. Register access goes through `bar`, whose
 * writes are the only MMIO the device sees.
 */
import { statSync } from 'node:fs';
import type { MessagePort, Worker } from 'node:worker_threads';
import { Ctl, CTL_WORDS, type ControllerCommand, type ControllerWorkerData, type InjectedErrorRule, type IrqNotifier } from './controller-layout.js';
import { nvmePowerOnRegisters } from './controller-core.js';
import { DmaMemory } from './dma-memory.js';
import { NVME_BAR_SIZE, NvmeReg, nvmeDoorbellOffset } from './nvme-spec.js';
import { controllerWorkerScript } from './worker-script.js';

/** How to build an emulated controller. */
export interface EmulatedNvmeControllerOptions {
  /** Namespace size in bytes for a memory-backed namespace (default 64 MiB). */
  size?: number;
  /** Back the namespace with this file instead (its size is `size` or the file's). */
  file?: string;
  /** Open the backing file read-only. */
  readOnly?: boolean;
  /** Bytes of host "DMA" memory (default 40 MiB: queues, PRP lists and bounce buffers of a 128-entry queue pair). */
  dmaBytes?: number;
  /** Identify Controller serial number. */
  serial?: string;
  /** Identify Controller model number. */
  model?: string;
}

/** The device's statistics. */
export interface NvmeControllerCounters {
  /** Writes to any submission queue tail doorbell. */
  sqDoorbells: number;
  /** Writes to the I/O submission queue 1 tail doorbell. */
  ioSqDoorbells: number;
  /** Writes to any completion queue head doorbell. */
  cqDoorbells: number;
  /** Interrupts raised. */
  interrupts: number;
  /** Commands executed. */
  commands: number;
  /** Controller resets (host-requested and injected). */
  resets: number;
}

/** BAR0 as the host sees it: 32-bit MMIO reads and writes. */
export class NvmeBar {
  private readonly regs: Int32Array;
  private readonly doorbellEnd: number;
  constructor(
    bar: SharedArrayBuffer,
    private readonly ctl: Int32Array,
  ) {
    this.regs = new Int32Array(bar);
    this.doorbellEnd = bar.byteLength;
  }

  /** A 32-bit register read. */
  read32(off: number): number {
    return Atomics.load(this.regs, off >> 2) >>> 0;
  }

  /** A 64-bit register read (two 32-bit halves). */
  read64(off: number): number {
    return this.read32(off) + this.read32(off + 4) * 2 ** 32;
  }

  /**
   * A 32-bit MMIO write: the device sees it, doorbell writes are counted. A
   * futex wake costs the writer microseconds, so the device is notified only
   * when it sleeps, and for a CQ head only when it waits for queue space.
   */
  write32(off: number, value: number): void {
    Atomics.store(this.regs, off >> 2, value | 0);
    let cqHead = false;
    if (off >= NvmeReg.DOORBELLS && off < this.doorbellEnd) {
      // Stride 0: even slots are SQ tails, odd slots CQ heads.
      if (((off - NvmeReg.DOORBELLS) >> 2) % 2 === 0) {
        Atomics.add(this.ctl, Ctl.SQ_DOORBELL_WRITES, 1);
        if (off === nvmeDoorbellOffset(1, false)) Atomics.add(this.ctl, Ctl.IO_SQ_DOORBELL_WRITES, 1);
      } else {
        Atomics.add(this.ctl, Ctl.CQ_DOORBELL_WRITES, 1);
        cqHead = true;
      }
    }
    // The store above, this bump and the loads below are sequentially consistent:
    // a worker about to sleep has either said so before we look or sees the bump.
    Atomics.add(this.ctl, Ctl.MMIO_SEQ, 1);
    if (Atomics.load(this.ctl, Ctl.ASLEEP) === 0) return;
    // A CQ head only matters to a device that stopped on a full completion queue.
    if (cqHead && Atomics.load(this.ctl, Ctl.CQ_WAIT) === 0) return;
    Atomics.notify(this.ctl, Ctl.MMIO_SEQ);
  }

  /** A 64-bit register write (low half first, as two MMIO writes). */
  write64(off: number, value: number): void {
    Atomics.store(this.regs, off >> 2, value | 0);
    this.write32(off + 4, Math.floor(value / 2 ** 32));
  }
}

/** An emulated NVMe 1.4 controller running in a worker thread. */
export class EmulatedNvmeController {
  /** BAR0. */
  readonly bar: NvmeBar;
  /** Host memory the controller can DMA to and from. */
  readonly dma: DmaMemory;
  /** The namespace's bytes when memory-backed (shared with the device), else null. */
  readonly namespaceData: Uint8Array | null;
  /** Namespace size in bytes. */
  readonly size: number;
  private readonly ctl: Int32Array;
  private readonly controlPort: MessagePort;
  private readonly worker: Worker;
  private closed = false;
  private exited: Promise<void>;
  private holds = 0;

  constructor(opts: EmulatedNvmeControllerOptions = {}) {
    const bar = new SharedArrayBuffer(NVME_BAR_SIZE);
    const ctlSab = new SharedArrayBuffer(CTL_WORDS * 4);
    this.ctl = new Int32Array(ctlSab);
    this.bar = new NvmeBar(bar, this.ctl);
    // The device is powered on as soon as it exists, before its worker runs.
    nvmePowerOnRegisters(new Int32Array(bar));
    this.dma = new DmaMemory(opts.dmaBytes ?? 40 << 20);
    let backing: ControllerWorkerData['backing'];
    if (opts.file !== undefined) {
      const size = opts.size ?? fileSize(opts.file);
      backing = { kind: 'file', path: opts.file, size, readOnly: opts.readOnly ?? false };
      this.namespaceData = null;
      this.size = size;
    } else {
      const data = new SharedArrayBuffer(opts.size ?? 64 << 20);
      backing = { kind: 'memory', data };
      this.namespaceData = new Uint8Array(data);
      this.size = data.byteLength;
    }
    const control = new MessageChannel();
    this.controlPort = control.port1;
    const workerData: ControllerWorkerData & { controlPort: MessagePort } = {
      bar,
      ctl: ctlSab,
      dma: this.dma.sab,
      backing,
      serial: opts.serial ?? 'QCO0001',
      model: opts.model ?? 'qco emulated NVMe controller',
      controlPort: control.port2,
    };
    const script = controllerWorkerScript();
    const { Worker } = process.getBuiltinModule('node:worker_threads');
    this.worker = new Worker(script.kind === 'file' ? script.path : script.code, {
      eval: script.kind === 'eval',
      workerData,
      transferList: [control.port2],
    });
    this.worker.unref();
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    let dead = false;
    const died = (why: string): void => {
      if (this.closed || dead) return;
      dead = true;
      // A dead device reads as Controller Fatal Status and never becomes ready again.
      console.error(`nvme: emulated controller stopped: ${why}`);
      Atomics.store(this.ctl, Ctl.STOP, 1);
      Atomics.store(new Int32Array(bar), NvmeReg.CSTS >> 2, 0x2);
      Atomics.add(this.ctl, Ctl.CSTS_SEQ, 1);
      Atomics.notify(this.ctl, Ctl.CSTS_SEQ);
    };
    this.worker.on('error', (err) => died(err instanceof Error ? err.message : String(err)));
    this.worker.on('exit', (code) => died(`worker exited with code ${code}`));
  }

  /** The device's counters, read now. */
  counters(): NvmeControllerCounters {
    return {
      sqDoorbells: Atomics.load(this.ctl, Ctl.SQ_DOORBELL_WRITES),
      ioSqDoorbells: Atomics.load(this.ctl, Ctl.IO_SQ_DOORBELL_WRITES),
      cqDoorbells: Atomics.load(this.ctl, Ctl.CQ_DOORBELL_WRITES),
      interrupts: Atomics.load(this.ctl, Ctl.INTERRUPTS),
      commands: Atomics.load(this.ctl, Ctl.COMMANDS),
      resets: Atomics.load(this.ctl, Ctl.RESETS),
    };
  }

  /**
   * Point the device's interrupt at a host event notifier (`EventNotifier.share()`
   * of @qco/core), as VFIO wires an MSI-X vector to an eventfd; null unwires it.
   */
  setIrqNotifier(notifier: IrqNotifier | null): void {
    if (this.closed) throw new Error('The emulated NVMe controller is closed');
    this.controlPort.postMessage({ type: 'set-irq', notifier } satisfies ControllerCommand, notifier ? [notifier.port] : []);
    this.nudge();
  }

  /** Whether an interrupt is pending on the unwired line, without clearing it. */
  irqPending(): boolean {
    return Atomics.load(this.ctl, Ctl.IRQ_PENDING) !== 0;
  }

  /** event_notifier_test_and_clear on the interrupt line. */
  testAndClearIrq(): boolean {
    return Atomics.exchange(this.ctl, Ctl.IRQ_PENDING, 0) !== 0;
  }

  /** Block until an interrupt is pending or `timeoutMs` passes; true when one is. */
  waitIrq(timeoutMs: number): boolean {
    if (Atomics.load(this.ctl, Ctl.IRQ_PENDING) !== 0) return true;
    Atomics.wait(this.ctl, Ctl.IRQ_PENDING, 0, timeoutMs);
    return Atomics.load(this.ctl, Ctl.IRQ_PENDING) !== 0;
  }

  /** Block until CSTS changes from `csts` or `timeoutMs` passes (the device notifies on every CSTS write). */
  waitCstsChange(csts: number, timeoutMs: number): void {
    const seq = Atomics.load(this.ctl, Ctl.CSTS_SEQ);
    if (this.bar.read32(NvmeReg.CSTS) !== csts) return;
    Atomics.wait(this.ctl, Ctl.CSTS_SEQ, seq, timeoutMs);
  }

  /**
   * Keep the process alive while the host waits for this device (commands in
   * flight): an idle controller never holds the event loop open, a busy one
   * must, or `await blk.pread()` in a script would end with the process.
   */
  hold(): void {
    if (this.holds++ === 0 && !this.closed) this.worker.ref();
  }

  /** Undo one `hold()`. */
  unhold(): void {
    if (--this.holds === 0 && !this.closed) this.worker.unref();
  }

  /** Make the next matching commands complete with an error status. */
  injectError(rule: InjectedErrorRule): void {
    this.send({ type: 'inject-error', rule });
  }

  /** Forget injected errors that have not fired. */
  clearErrors(): void {
    this.send({ type: 'clear-errors' });
  }

  /**
   * Reset the controller behind the host's back: queues and commands in flight
   * are lost and CSTS.CFS is set. By default the device also raises its
   * interrupt; `{ interrupt: false }` leaves the host to notice on its own.
   */
  injectReset(opts: { interrupt?: boolean } = {}): void {
    this.send({ type: 'reset', interrupt: opts.interrupt ?? true });
  }

  private send(cmd: ControllerCommand): void {
    if (this.closed) throw new Error('The emulated NVMe controller is closed');
    this.controlPort.postMessage(cmd);
    this.nudge();
  }

  /** Wake the device so it reads its control port before the next doorbell. */
  private nudge(): void {
    Atomics.add(this.ctl, Ctl.MMIO_SEQ, 1);
    Atomics.notify(this.ctl, Ctl.MMIO_SEQ);
  }

  /** Stop the device (its worker finishes its current command and exits). */
  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      Atomics.store(this.ctl, Ctl.STOP, 1);
      Atomics.add(this.ctl, Ctl.MMIO_SEQ, 1);
      Atomics.notify(this.ctl, Ctl.MMIO_SEQ);
      this.controlPort.close();
    }
    return this.exited;
  }
}

function fileSize(path: string): number {
  return statSync(path).size;
}
