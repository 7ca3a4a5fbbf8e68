/**
 * The back-end side of vhost-user (QEMU's docs/interop/vhost-user.rst; the
 * role libvhost-user plays for QEMU's own export): listen on a unix socket,
 * take one front-end at a time, read its messages (header, payload and the
 * descriptors sent with them), answer GET_* requests and acks, map the memory
 * table, and set up each vring from NUM / ADDR / BASE / KICK / CALL / ENABLE.
 * A started, enabled vring's kick eventfd is watched through libuv; each kick
 * runs the device's queue handler. The device (virtio-blk here) sees only
 * VirtQueues. A message that breaks the protocol ends the connection (as
 * vu_panic does) rather than leaving the device half-configured.
 */
import { deferCall, deferCallBegin, deferCallEnd } from '@qco/core';
import { Errno } from '../../block/errno.js';
import { unlinkSync } from 'node:fs';
import { GuestMemory } from './guest-memory.js';
import { vhostUserAddon, type VhostUserAddon } from './vhost-user-addon.js';
import {
  VHOST_USER_F_PROTOCOL_FEATURES,
  VHOST_USER_HDR_SIZE,
  VHOST_USER_MAX_CONFIG_SIZE,
  VHOST_USER_MAX_PAYLOAD,
  VHOST_USER_NEED_REPLY_MASK,
  VHOST_USER_PROTOCOL_F_REPLY_ACK,
  VHOST_USER_VRING_IDX_MASK,
  VHOST_USER_VRING_NOFD_MASK,
  VIRTIO_RING_F_EVENT_IDX,
  VhostUserRequest as R,
  encodeReply,
  readSafeU64,
  u64Payload,
  vringStatePayload,
  type VhostUserMsg,
} from './vhost-user-protocol.js';
import { VirtQueue, VirtqueueError, type VirtqElement } from './virtqueue.js';

/** The largest queue a front-end may configure (VIRTQUEUE_MAX_SIZE). */
const MAX_QUEUE_SIZE = 1024;

/** What a device behind the server provides. */
export interface VhostUserDevice {
  /** All feature bits offered (device, ring and transport bits). */
  readonly features: bigint;
  /** Protocol feature bits offered. */
  readonly protocolFeatures: bigint;
  /** Queues offered (GET_QUEUE_NUM). */
  readonly numQueues: number;
  /** The virtio config space. */
  config(): Uint8Array;
  /** SET_CONFIG from the front-end: apply `data` at `offset`, or refuse (false). */
  setConfig?(offset: number, data: Uint8Array): boolean;
  /** Start one popped chain; call `done(written)` exactly once when it has finished. */
  submit(el: VirtqElement, done: (el: VirtqElement, written: number) => void): void;
}

/** Counters of the datapath, for tests and benchmarks. */
export interface VhostUserStats {
  /** Kick handler runs (each one defer-call section draining its queue). */
  kicks: number;
  /** Chains taken from avail rings. */
  requests: number;
  /** Chains returned to used rings. */
  completions: number;
  /** Deferred notification points with new used entries (one per defer-call section, per queue). */
  batches: number;
  /** Call-eventfd writes (guest notifications). */
  notifications: number;
  /** Batches the driver asked not to be notified for (EVENT_IDX / NO_INTERRUPT). */
  suppressed: number;
  /** Front-end connections accepted. */
  connections: number;
}

/** One vring's state as the front-end configures it. */
class Vring {
  num = 0;
  desc = -1;
  avail = -1;
  used = -1;
  base = 0;
  kickFd = -1;
  callFd = -1;
  errFd = -1;
  enabled = false;
  vq: VirtQueue | null = null;
  /** The completion of `vq`'s requests, made once per start rather than per request. */
  onDone: ((el: VirtqElement, written: number) => void) | null = null;
  kickWatch: object | null = null;
  inflight = 0;
  private idle: (() => void)[] = [];

  constructor(
    readonly index: number,
    readonly conn: Connection,
  ) {}

  /** Resolve when no request of this ring is in flight. */
  drained(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** One request finished. */
  settle(): void {
    if (--this.inflight === 0) for (const f of this.idle.splice(0)) f();
  }
}

/** One front-end connection. */
class Connection {
  readonly rings: Vring[];
  features = 0n;
  protocolFeatures = 0n;
  mem: GuestMemory | null = null;
  closed = false;
  private readonly watch: object;
  private hdr = new Uint8Array(VHOST_USER_HDR_SIZE);
  private payload: Uint8Array | null = null;
  private have = 0;
  private fds: number[] = [];
  private readonly queue: VhostUserMsg[] = [];
  private running = false;

  constructor(
    private readonly server: VhostUserServer,
    private readonly a: VhostUserAddon,
    readonly fd: number,
  ) {
    this.rings = Array.from({ length: server.device.numQueues }, (_, i) => new Vring(i, this));
    this.watch = a.watch(fd, () => this.onReadable());
  }

  private onReadable(): void {
    while (!this.closed) {
      const want = this.payload === null ? this.hdr.subarray(this.have) : this.payload.subarray(this.have);
      const r = this.a.recv(this.fd, want);
      const n = r[0];
      for (let i = 1; i < r.length; i++) this.fds.push(r[i]);
      if (n === -Errno.EAGAIN) return;
      if (n <= 0) {
        this.close(n === 0 ? null : `recvmsg failed: errno ${-n}`);
        return;
      }
      this.have += n;
      if (this.payload === null) {
        if (this.have < VHOST_USER_HDR_SIZE) continue;
        const size = new DataView(this.hdr.buffer).getUint32(8, true);
        if (size > VHOST_USER_MAX_PAYLOAD) {
          this.close(`Message payload of ${size} bytes is too large`);
          return;
        }
        this.payload = new Uint8Array(size);
        this.have = 0;
        if (size > 0) continue;
      } else if (this.have < this.payload.length) {
        continue;
      }
      const h = new DataView(this.hdr.buffer);
      const p = this.payload;
      this.queue.push({ request: h.getUint32(0, true), flags: h.getUint32(4, true), payload: new DataView(p.buffer, 0, p.length), fds: this.fds });
      this.fds = [];
      this.payload = null;
      this.have = 0;
      this.hdr = new Uint8Array(VHOST_USER_HDR_SIZE);
      void this.run();
    }
  }

  /** Handle queued messages one after another (some wait for in-flight requests). */
  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (!this.closed && this.queue.length > 0) {
        const m = this.queue.shift() as VhostUserMsg;
        try {
          await this.handle(m);
        } catch (err) {
          for (const fd of m.fds) this.a.close(fd);
          this.close(err instanceof Error ? err.message : String(err));
        }
      }
    } finally {
      this.running = false;
    }
  }

  private reply(request: number, payload: Uint8Array): void {
    const out = encodeReply(request, payload);
    const n = this.a.send(this.fd, out);
    if (n !== out.length) this.close(`sendmsg failed (${n})`);
  }

  private ack(m: VhostUserMsg, ok: boolean): void {
    if ((m.flags & VHOST_USER_NEED_REPLY_MASK) !== 0 && (this.protocolFeatures & VHOST_USER_PROTOCOL_F_REPLY_ACK) !== 0n) {
      this.reply(m.request, u64Payload(ok ? 0n : 1n));
    }
  }

  private ring(index: number): Vring {
    // The index comes from the front-end's message.
    if (!Number.isInteger(index) || index < 0 || index >= this.rings.length) throw new Error(`Invalid vring index: ${index}`);
    return this.rings[index];
  }

  private need(m: VhostUserMsg, bytes: number): DataView {
    if (m.payload.byteLength < bytes) throw new Error(`Invalid size ${m.payload.byteLength} for message ${m.request}`);
    return m.payload;
  }

  private async handle(m: VhostUserMsg): Promise<void> {
    const dev = this.server.device;
    switch (m.request) {
      case R.GET_FEATURES:
        this.reply(m.request, u64Payload(dev.features));
        return;
      case R.SET_FEATURES: {
        const f = this.need(m, 8).getBigUint64(0, true);
        if ((f & ~dev.features) !== 0n) throw new Error(`Front-end acked unsupported features 0x${(f & ~dev.features).toString(16)}`);
        this.features = f;
        this.ack(m, true);
        return;
      }
      case R.GET_PROTOCOL_FEATURES:
        this.reply(m.request, u64Payload(dev.protocolFeatures));
        return;
      case R.SET_PROTOCOL_FEATURES:
        this.protocolFeatures = this.need(m, 8).getBigUint64(0, true) & dev.protocolFeatures;
        this.ack(m, true);
        return;
      case R.SET_OWNER:
      case R.RESET_OWNER:
        this.ack(m, true);
        return;
      case R.GET_QUEUE_NUM:
        this.reply(m.request, u64Payload(BigInt(dev.numQueues)));
        return;
      case R.SET_MEM_TABLE: {
        const dv = this.need(m, 8);
        for (const r of this.rings) await this.stopRing(r);
        const old = this.mem;
        this.mem = GuestMemory.fromMemTable(this.server.addon, dv, m.fds);
        old?.unmap();
        for (const r of this.rings) this.maybeStart(r);
        this.ack(m, true);
        return;
      }
      case R.SET_VRING_NUM: {
        const dv = this.need(m, 8);
        const r = this.ring(dv.getUint32(0, true));
        const num = dv.getUint32(4, true);
        if (num === 0 || num > MAX_QUEUE_SIZE || (num & (num - 1)) !== 0) throw new Error(`Invalid queue size: ${num}`);
        r.num = num;
        this.ack(m, true);
        return;
      }
      case R.SET_VRING_ADDR: {
        const dv = this.need(m, 40);
        const r = this.ring(dv.getUint32(0, true));
        r.desc = readSafeU64(dv, 8);
        r.used = readSafeU64(dv, 16);
        r.avail = readSafeU64(dv, 24);
        if (this.mem === null || [r.desc, r.used, r.avail].some((a) => a < 0 || (this.mem as GuestMemory).uvaToGpa(a) < 0)) {
          throw new Error('Invalid vring_addr message');
        }
        this.ack(m, true);
        return;
      }
      case R.SET_VRING_BASE: {
        const dv = this.need(m, 8);
        const r = this.ring(dv.getUint32(0, true));
        r.base = dv.getUint32(4, true) & 0xffff;
        this.ack(m, true);
        return;
      }
      case R.GET_VRING_BASE: {
        const dv = this.need(m, 8);
        const r = this.ring(dv.getUint32(0, true));
        await this.stopRing(r);
        this.closeFd(r, 'kickFd');
        this.reply(m.request, vringStatePayload(r.index, r.base));
        return;
      }
      case R.SET_VRING_KICK:
      case R.SET_VRING_CALL:
      case R.SET_VRING_ERR: {
        const v = Number(this.need(m, 8).getBigUint64(0, true) & 0xffffn);
        const r = this.ring(v & VHOST_USER_VRING_IDX_MASK);
        const nofd = (v & VHOST_USER_VRING_NOFD_MASK) !== 0;
        if (!nofd && m.fds.length !== 1) throw new Error(`Invalid fds in request: ${m.request}`);
        if (nofd && m.request === R.SET_VRING_KICK) throw new Error('Polling mode (no kick fd) is not supported');
        const fd = nofd ? -1 : (m.fds[0]);
        if (m.request === R.SET_VRING_KICK) {
          await this.stopRing(r);
          this.closeFd(r, 'kickFd');
          r.kickFd = fd;
          // Without VHOST_USER_F_PROTOCOL_FEATURES a ring is enabled as soon as it starts.
          if ((this.features & VHOST_USER_F_PROTOCOL_FEATURES) === 0n) r.enabled = true;
          this.maybeStart(r);
        } else if (m.request === R.SET_VRING_CALL) {
          this.closeFd(r, 'callFd');
          r.callFd = fd;
        } else {
          this.closeFd(r, 'errFd');
          r.errFd = fd;
        }
        this.ack(m, true);
        return;
      }
      case R.SET_VRING_ENABLE: {
        const dv = this.need(m, 8);
        const r = this.ring(dv.getUint32(0, true));
        r.enabled = dv.getUint32(4, true) !== 0;
        if (r.enabled) this.maybeStart(r);
        this.ack(m, true);
        return;
      }
      case R.GET_CONFIG: {
        const dv = this.need(m, 12);
        const offset = dv.getUint32(0, true);
        const size = dv.getUint32(4, true);
        if (size > VHOST_USER_MAX_CONFIG_SIZE || offset > VHOST_USER_MAX_CONFIG_SIZE - size) throw new Error(`Invalid config request: offset ${offset}, size ${size}`);
        const out = new Uint8Array(12 + size);
        out.set(new Uint8Array(dv.buffer, dv.byteOffset, 12));
        out.set(dev.config().subarray(offset, offset + size), 12);
        this.reply(m.request, out);
        return;
      }
      case R.SET_CONFIG: {
        // offset, size, flags, then the bytes; only a front-end's own write (flags 0) is taken, as QEMU's export does.
        const dv = this.need(m, 12);
        const offset = dv.getUint32(0, true);
        const size = dv.getUint32(4, true);
        const flags = dv.getUint32(8, true);
        const ok = flags === 0 && size <= dv.byteLength - 12 && dev.setConfig?.(offset, new Uint8Array(dv.buffer, dv.byteOffset + 12, size).slice()) === true;
        this.ack(m, ok);
        return;
      }
      default:
        for (const fd of m.fds) this.a.close(fd);
        if ((m.flags & VHOST_USER_NEED_REPLY_MASK) !== 0 && (this.protocolFeatures & VHOST_USER_PROTOCOL_F_REPLY_ACK) !== 0n) {
          this.ack(m, false);
          return;
        }
        throw new Error(`Unhandled request: ${m.request}`);
    }
  }

  private closeFd(r: Vring, which: 'kickFd' | 'callFd' | 'errFd'): void {
    if (r[which] >= 0) this.a.close(r[which]);
    r[which] = -1;
  }

  /** Start a ring once it has memory, addresses, a size, a kick fd and is enabled. */
  private maybeStart(r: Vring): void {
    if (r.vq !== null || this.closed || !r.enabled || r.kickFd < 0 || r.num === 0 || this.mem === null || r.desc < 0) return;
    const mem = this.mem;
    const eventIdx = (this.features & VIRTIO_RING_F_EVENT_IDX) !== 0n;
    const vq = new VirtQueue(mem, r.num, { desc: mem.uvaToGpa(r.desc), avail: mem.uvaToGpa(r.avail), used: mem.uvaToGpa(r.used) }, r.base, eventIdx);
    r.vq = vq;
    r.onDone = (el, written) => this.complete(r, vq, el, written);
    r.kickWatch = this.a.watch(r.kickFd, () => this.onKick(r), true);
    // A kick sent before we watched is not lost: look at the ring once now.
    setImmediate(() => this.onKick(r));
  }

  /** Stop taking requests from a ring, wait for its in-flight ones, and remember where it stopped. */
  private async stopRing(r: Vring): Promise<void> {
    if (r.kickWatch !== null) this.a.unwatch(r.kickWatch);
    r.kickWatch = null;
    const vq = r.vq;
    if (vq === null) return;
    await r.drained();
    r.base = vq.lastAvailIdx;
    r.vq = null;
  }

  /** virtio_blk_handle_vq: take every chain inside one defer-call section. */
  private onKick(r: Vring): void {
    const vq = r.vq;
    const done = r.onDone;
    if (vq === null || done === null || !r.enabled || this.closed) return;
    const stats = this.server.stats;
    const dev = this.server.device;
    stats.kicks++;
    deferCallBegin();
    try {
      for (;;) {
        let el: VirtqElement | null;
        while ((el = vq.pop()) !== null) {
          r.inflight++;
          stats.requests++;
          dev.submit(el, done);
        }
        vq.enableNotification();
        if (!vq.hasWork()) break;
      }
    } catch (err) {
      if (!(err instanceof VirtqueueError)) throw err;
      this.server.log(`virtqueue ${r.index} is broken: ${err.message}`);
      if (r.errFd >= 0) this.a.eventfdWrite(r.errFd);
    } finally {
      deferCallEnd();
    }
  }

  private complete(r: Vring, vq: VirtQueue, el: VirtqElement, written: number): void {
    // Memory stays mapped until every in-flight request of the connection settled, so this is safe after a stop.
    vq.push(el, written);
    this.server.stats.completions++;
    if (r.vq === vq && !this.closed) deferCall(notifyRing, r);
    r.settle();
  }

  /** The deferred part of a completion: one call-eventfd write per batch when the driver wants one. */
  notify(r: Vring): void {
    const vq = r.vq;
    if (vq === null || this.closed) return;
    const stats = this.server.stats;
    stats.batches++;
    if (!vq.shouldNotify()) {
      stats.suppressed++;
      return;
    }
    if (r.callFd >= 0) {
      stats.notifications++;
      this.a.eventfdWrite(r.callFd);
    }
  }

  /** End the connection: stop the rings, let in-flight requests finish, then release memory and fds. */
  close(why: string | null): void {
    if (this.closed) return;
    this.closed = true;
    if (why !== null) this.server.log(why);
    this.a.unwatch(this.watch);
    for (const r of this.rings) {
      if (r.kickWatch !== null) this.a.unwatch(r.kickWatch);
      r.kickWatch = null;
    }
    for (const fd of this.fds) this.a.close(fd);
    this.fds = [];
    for (const m of this.queue.splice(0)) for (const fd of m.fds) this.a.close(fd);
    this.a.close(this.fd);
    void Promise.all(this.rings.map((r) => r.drained())).then(() => {
      for (const r of this.rings) {
        r.vq = null;
        this.closeFd(r, 'kickFd');
        this.closeFd(r, 'callFd');
        this.closeFd(r, 'errFd');
      }
      this.mem?.unmap();
      this.mem = null;
      this.server.connectionClosed(this);
    });
  }
}

/** The deferred notification; deferCall records it once per ring per section. */
function notifyRing(r: Vring): void {
  r.conn.notify(r);
}

/** Options of a vhost-user server. */
export interface VhostUserServerOptions {
  /** Unix socket path (an existing socket file there is replaced). */
  readonly socket: string;
  /** The device the rings feed. */
  readonly device: VhostUserDevice;
  /** Where protocol errors are reported (stderr by default). */
  readonly log?: (line: string) => void;
}

/** A vhost-user back-end listening on a unix socket, serving one front-end at a time. */
export class VhostUserServer {
  /** Datapath counters. */
  readonly stats: VhostUserStats = { kicks: 0, requests: 0, completions: 0, batches: 0, notifications: 0, suppressed: 0, connections: 0 };
  readonly addon: VhostUserAddon;
  readonly device: VhostUserDevice;
  private readonly listenFd: number;
  private readonly listenWatch: object;
  private conn: Connection | null = null;
  private closedWaiters: (() => void)[] = [];
  private stopped = false;
  private readonly logFn: (line: string) => void;

  constructor(readonly opts: VhostUserServerOptions) {
    this.addon = vhostUserAddon();
    this.device = opts.device;
    this.logFn = opts.log ?? ((line) => process.stderr.write(`${line}\n`));
    try {
      unlinkSync(opts.socket);
    } catch {
      // nothing there
    }
    const fd = this.addon.listen(opts.socket);
    if (fd < 0) throw new Error(`Failed to bind socket to ${opts.socket}: errno ${-fd}`);
    this.listenFd = fd;
    this.listenWatch = this.addon.watch(fd, () => this.onAccept());
  }

  /** Whether a front-end is connected. */
  get connected(): boolean {
    return this.conn !== null && !this.conn.closed;
  }

  /** Report a protocol or device problem. */
  log(line: string): void {
    this.logFn(`vhost-user-blk: ${line}`);
  }

  private onAccept(): void {
    for (;;) {
      const fd = this.addon.accept(this.listenFd);
      if (fd < 0) return;
      if (this.conn !== null || this.stopped) {
        // One front-end at a time, as QEMU's export: a second one is turned away.
        this.addon.close(fd);
        continue;
      }
      this.stats.connections++;
      this.conn = new Connection(this, this.addon, fd);
    }
  }

  /** @internal A connection released everything. */
  connectionClosed(c: Connection): void {
    if (this.conn === c) this.conn = null;
    for (const f of this.closedWaiters.splice(0)) f();
  }

  /** Resolve when the current front-end (if any) has gone and its requests have settled. */
  whenDisconnected(): Promise<void> {
    if (this.conn === null) return Promise.resolve();
    return new Promise((resolve) => this.closedWaiters.push(resolve));
  }

  /** Stop listening and drop the front-end; resolves when everything is released. */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.addon.unwatch(this.listenWatch);
    this.addon.close(this.listenFd);
    try {
      unlinkSync(this.opts.socket);
    } catch {
      // already gone
    }
    const c = this.conn;
    if (c !== null) {
      const gone = this.whenDisconnected();
      c.close(null);
      await gone;
    }
  }
}
