/**
 * A split virtqueue (virtio 1.x, 2.7) as the device side sees it: the
 * descriptor table, the avail ring the driver fills and the used ring we fill,
 * all in guest memory. `pop` walks one descriptor chain (direct or through an
 * indirect table) into readable (out) and writable (in) segments; `push`
 * returns a chain; `shouldNotify` applies VIRTIO_RING_F_EVENT_IDX suppression
 * (or VRING_AVAIL_F_NO_INTERRUPT without it). A chain that leaves guest
 * memory, loops, or breaks the spec's rules marks the queue broken with a
 * VirtqueueError: the device stops using it rather than guess.
 */
import type { GuestMemory } from './guest-memory.js';

const VRING_DESC_F_NEXT = 1;
const VRING_DESC_F_WRITE = 2;
const VRING_DESC_F_INDIRECT = 4;
const VRING_AVAIL_F_NO_INTERRUPT = 1;
/** VIRTQUEUE_MAX_SIZE: the most descriptors one chain may have. */
export const VIRTQUEUE_MAX_SIZE = 1024;

/** The guest broke the virtqueue rules; the queue is unusable until reset. */
export class VirtqueueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VirtqueueError';
  }
}

/**
 * One popped descriptor chain; the device may trim its segment lists in place
 * (header, status byte). A queue keeps one element per head index and reuses
 * it each time that head is popped (a head cannot be popped again before it is
 * pushed back), so taking a request off the ring allocates only its views.
 */
export class VirtqElement {
  /** Device-readable segments, in order. */
  out: Uint8Array[] = [];
  /** Device-writable segments, in order. */
  in: Uint8Array[] = [];
  /** Popped and not yet pushed back. */
  inUse = false;
  /** The device's own per-element state (its request object), kept with the element for reuse. */
  deviceData: object | null = null;

  /** @param head The head descriptor index (the used ring's id). */
  constructor(readonly head: number) {}
}

/** Where a queue's three parts are, in guest-physical addresses. */
export interface VringAddrs {
  readonly desc: number;
  readonly avail: number;
  readonly used: number;
}

// A full fence on x86 and elsewhere: a seq_cst read-modify-write orders every earlier store before every later load.
const fenceWord = new Int32Array(new SharedArrayBuffer(4));
function smpMb(): void {
  Atomics.add(fenceWord, 0, 0);
}

/** A split virtqueue. */
export class VirtQueue {
  private readonly desc: DataView;
  private readonly avail: DataView;
  private readonly used: DataView;
  /** The next avail ring slot to take (last_avail_idx). */
  lastAvailIdx: number;
  /** The used index we publish. */
  usedIdx: number;
  private signalledUsed = 0;
  private signalledUsedValid = false;
  /** Set once the guest broke the rules. */
  broken: string | null = null;
  /** The element of each head index, made when that head is first popped. */
  private readonly elements: (VirtqElement | undefined)[];

  constructor(
    private readonly mem: GuestMemory,
    readonly num: number,
    addrs: VringAddrs,
    lastAvailIdx: number,
    private readonly eventIdx: boolean,
  ) {
    const d = mem.view(addrs.desc, 16 * num);
    const a = mem.view(addrs.avail, 6 + 2 * num);
    const u = mem.view(addrs.used, 6 + 8 * num);
    if (d === null || a === null || u === null) throw new VirtqueueError('Invalid vring_addr message');
    this.desc = new DataView(d.buffer, d.byteOffset, d.byteLength);
    this.avail = new DataView(a.buffer, a.byteOffset, a.byteLength);
    this.used = new DataView(u.buffer, u.byteOffset, u.byteLength);
    this.lastAvailIdx = lastAvailIdx & 0xffff;
    this.usedIdx = this.used.getUint16(2, true);
    this.elements = new Array<VirtqElement | undefined>(num);
  }

  /** The driver's avail index. */
  availIdx(): number {
    return this.avail.getUint16(2, true);
  }

  /** Whether chains are waiting. */
  hasWork(): boolean {
    return this.broken === null && this.availIdx() !== this.lastAvailIdx;
  }

  /**
   * With EVENT_IDX, ask for a kick when the driver adds past what we have taken
   * (avail_event); then fence, so a chain added meanwhile is seen by the caller's
   * recheck of `hasWork`.
   */
  enableNotification(): void {
    if (this.eventIdx) this.used.setUint16(4 + 8 * this.num, this.lastAvailIdx, true);
    smpMb();
  }

  /** Take the next chain, or null when the ring is empty; throws VirtqueueError (and marks the queue broken) on a bad chain. */
  pop(): VirtqElement | null {
    if (this.broken !== null) return null;
    const availIdx = this.availIdx();
    const pending = (availIdx - this.lastAvailIdx) & 0xffff;
    if (pending === 0) return null;
    if (pending > this.num) return this.fail(`Guest moved avail index from ${this.lastAvailIdx} to ${availIdx}`);
    const head = this.avail.getUint16(4 + 2 * (this.lastAvailIdx % this.num), true);
    this.lastAvailIdx = (this.lastAvailIdx + 1) & 0xffff;
    if (head >= this.num) return this.fail(`Guest says index ${head} is available`);
    let el = this.elements[head];
    if (el === undefined) this.elements[head] = el = new VirtqElement(head);
    else if (el.inUse) return this.fail(`Guest says index ${head} is available while it is in use`);
    el.out.length = 0;
    el.in.length = 0;
    // The table being walked, and where in it the descriptors start (an indirect one is read in place in its region).
    let table = this.desc;
    let base = 0;
    let max = this.num;
    let i = head;
    let seen = 0;
    let descs = 0;
    let indirect = false;
    let sawWrite = false;
    // Descriptors that continue the one before in guest memory (same direction) become one segment:
    // a guest sends page-sized segments, often contiguous, and one view per run is what the I/O needs.
    let runAddr = 0;
    let runLen = 0;
    let runWrite = false;
    for (;;) {
      const at = base + i * 16;
      // Two 32-bit reads rather than a BigInt per descriptor; above 2^53 it is not a safe integer and maps to nothing.
      const addr = table.getUint32(at + 4, true) * 0x100000000 + table.getUint32(at, true);
      const len = table.getUint32(at + 8, true);
      const flags = table.getUint16(at + 12, true);
      const next = table.getUint16(at + 14, true);
      if (flags & VRING_DESC_F_INDIRECT) {
        if (indirect) return this.fail('Nested indirect descriptor');
        if (flags & VRING_DESC_F_NEXT) return this.fail('Indirect descriptor with NEXT set');
        if (len === 0 || len % 16 !== 0) return this.fail(`Invalid size for indirect buffer table: ${len}`);
        const t = this.mem.regionFor(addr, len);
        if (t === null) return this.fail('Cannot map indirect buffer');
        table = t.dv;
        base = addr - t.gpa;
        max = len / 16;
        i = 0;
        seen = 0;
        indirect = true;
        continue;
      }
      if (++seen > max || ++descs > VIRTQUEUE_MAX_SIZE) return this.fail('Looped descriptor');
      const write = (flags & VRING_DESC_F_WRITE) !== 0;
      if (write) sawWrite = true;
      else if (sawWrite) return this.fail('Incorrect order for descriptors');
      if (len > 0) {
        if (runLen > 0 && write === runWrite && addr === runAddr + runLen) {
          runLen += len;
        } else {
          if (runLen > 0 && !this.mem.map(runAddr, runLen, runWrite ? el.in : el.out)) return this.outside(runAddr, runLen);
          runAddr = addr;
          runLen = len;
          runWrite = write;
        }
      }
      if (!(flags & VRING_DESC_F_NEXT)) break;
      if (next >= max) return this.fail(`Desc next is ${next}`);
      i = next;
    }
    if (runLen > 0 && !this.mem.map(runAddr, runLen, runWrite ? el.in : el.out)) return this.outside(runAddr, runLen);
    el.inUse = true;
    return el;
  }

  /** Return chain `el` to the driver with `len` bytes written. */
  push(el: VirtqElement, len: number): void {
    const head = el.head;
    el.inUse = false;
    // Its views go with it, so nothing keeps a stale view of guest memory alive.
    el.out.length = 0;
    el.in.length = 0;
    const at = 4 + 8 * (this.usedIdx % this.num);
    this.used.setUint32(at, head, true);
    this.used.setUint32(at + 4, len, true);
    this.usedIdx = (this.usedIdx + 1) & 0xffff;
    // x86 keeps stores in order: the element is visible before the index.
    this.used.setUint16(2, this.usedIdx, true);
  }

  /** Whether the driver wants an interrupt for what was pushed since the last one (virtio_should_notify). */
  shouldNotify(): boolean {
    smpMb();
    if (!this.eventIdx) return (this.avail.getUint16(0, true) & VRING_AVAIL_F_NO_INTERRUPT) === 0;
    const old = this.signalledUsed;
    const v = this.signalledUsedValid;
    const now = this.usedIdx;
    this.signalledUsed = now;
    this.signalledUsedValid = true;
    const usedEvent = this.avail.getUint16(4 + 2 * this.num, true);
    return !v || ((now - usedEvent - 1) & 0xffff) < ((now - old) & 0xffff);
  }

  private outside(addr: number, len: number): null {
    return this.fail(`Descriptor address 0x${addr.toString(16)} (${len} bytes) is outside guest memory`);
  }

  private fail(why: string): null {
    this.broken = why;
    throw new VirtqueueError(why);
  }
}
