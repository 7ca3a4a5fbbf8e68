/**
 * The vhost-user-blk export against a scripted front-end in this process (the
 * native addon plays QEMU's side: SCM_RIGHTS, a memfd as guest RAM, eventfds):
 * the negotiation QEMU does, requests through split rings (direct and
 * indirect), virtio-blk status codes, EVENT_IDX suppression, and a hostile
 * front-end (descriptors outside guest memory, malformed requests, oversized
 * messages, bad vring addresses) that must never crash the export nor make it
 * touch memory outside the guest's.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BlockBackend } from '../src/index.js';
import { vhostUserAddon } from '../src/exports/vhost-user-blk/vhost-user-addon.js';
import { startVhostUserBlkExport, type VhostUserBlkExport } from '../src/exports/vhost-user-blk/vhost-user-blk-export.js';
import {
  VHOST_USER_F_PROTOCOL_FEATURES,
  VHOST_USER_NEED_REPLY_MASK,
  VHOST_USER_PROTOCOL_F_CONFIG,
  VHOST_USER_PROTOCOL_F_MQ,
  VHOST_USER_PROTOCOL_F_REPLY_ACK,
  VIRTIO_F_VERSION_1,
  VIRTIO_RING_F_EVENT_IDX,
  VIRTIO_RING_F_INDIRECT_DESC,
  VhostUserRequest as R,
  encodeRequest,
  u64Payload,
  vringStatePayload,
} from '../src/exports/vhost-user-blk/vhost-user-protocol.js';

const a = vhostUserAddon();
const MEM = 1 << 20;
const UVA = 0x7f0000000000;
const QSIZE = 8;
const DESC = 0x0;
const AVAIL = 0x1000;
const USED = 0x2000;
const INDIRECT = 0x3000;
const DATA = 0x10000;

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 2));

/** QEMU's side of the socket, scripted. */
class FrontEnd {
  readonly fd: number;
  readonly ram: ArrayBuffer;
  readonly u8: Uint8Array;
  readonly dv: DataView;
  readonly kick = a.eventfd();
  readonly call = a.eventfd();
  readonly err = a.eventfd();
  private memfd = a.memfd(MEM);
  private availIdx = 0;
  private usedSeen = 0;

  constructor(sock: string) {
    this.fd = a.connect(sock);
    if (this.fd < 0) throw new Error(`connect: ${this.fd}`);
    this.ram = a.mmap(this.memfd, MEM, 0);
    this.u8 = new Uint8Array(this.ram);
    this.dv = new DataView(this.ram);
  }

  send(req: number, payload: Uint8Array, fds: number[] = [], flags = 0): void {
    const m = encodeRequest(req, payload, flags);
    expect(a.send(this.fd, m, fds)).toBe(m.length);
  }

  /** Read one reply; null when the export closed the connection. */
  async reply(): Promise<DataView | null> {
    const hdr = new Uint8Array(12);
    let have = 0;
    for (let i = 0; i < 2000 && have < 12; i++) {
      const [n] = a.recv(this.fd, hdr.subarray(have)) as [number];
      if (n === 0) return null;
      if (n > 0) have += n;
      else await tick();
    }
    const size = new DataView(hdr.buffer).getUint32(8, true);
    const body = new Uint8Array(size);
    have = 0;
    while (have < size) {
      const [n] = a.recv(this.fd, body.subarray(have)) as [number];
      if (n <= 0) await tick();
      else have += n;
    }
    return new DataView(body.buffer);
  }

  /** Whether the export closed the connection (within ~1 s). */
  async closedByPeer(): Promise<boolean> {
    const b = new Uint8Array(64);
    for (let i = 0; i < 500; i++) {
      const [n] = a.recv(this.fd, b) as [number];
      if (n === 0) return true;
      await tick();
    }
    return false;
  }

  async setUp(features: bigint): Promise<void> {
    this.send(R.GET_FEATURES, new Uint8Array(0));
    const offered = (await this.reply())?.getBigUint64(0, true) as bigint;
    expect(offered & VHOST_USER_F_PROTOCOL_FEATURES).not.toBe(0n);
    this.send(R.SET_FEATURES, u64Payload(features & offered));
    this.send(R.GET_PROTOCOL_FEATURES, new Uint8Array(0));
    const pf = (await this.reply())?.getBigUint64(0, true) as bigint;
    expect(pf & (VHOST_USER_PROTOCOL_F_MQ | VHOST_USER_PROTOCOL_F_CONFIG | VHOST_USER_PROTOCOL_F_REPLY_ACK)).toBe(
      VHOST_USER_PROTOCOL_F_MQ | VHOST_USER_PROTOCOL_F_CONFIG | VHOST_USER_PROTOCOL_F_REPLY_ACK,
    );
    this.send(R.SET_PROTOCOL_FEATURES, u64Payload(pf));
    this.send(R.SET_OWNER, new Uint8Array(0));
    const table = new Uint8Array(8 + 32);
    const t = new DataView(table.buffer);
    t.setUint32(0, 1, true);
    t.setBigUint64(8, 0n, true);
    t.setBigUint64(16, BigInt(MEM), true);
    t.setBigUint64(24, BigInt(UVA), true);
    t.setBigUint64(32, 0n, true);
    this.send(R.SET_MEM_TABLE, table, [this.memfd], VHOST_USER_NEED_REPLY_MASK);
    expect((await this.reply())?.getBigUint64(0, true)).toBe(0n);
    this.send(R.SET_VRING_NUM, vringStatePayload(0, QSIZE));
    this.send(R.SET_VRING_BASE, vringStatePayload(0, 0));
    this.send(R.SET_VRING_ADDR, this.addrPayload(UVA + DESC));
    this.send(R.SET_VRING_CALL, u64Payload(0n), [this.call]);
    this.send(R.SET_VRING_ERR, u64Payload(0n), [this.err]);
    this.send(R.SET_VRING_KICK, u64Payload(0n), [this.kick]);
    this.send(R.SET_VRING_ENABLE, vringStatePayload(0, 1), [], VHOST_USER_NEED_REPLY_MASK);
    expect((await this.reply())?.getBigUint64(0, true)).toBe(0n);
  }

  addrPayload(desc: number): Uint8Array {
    const p = new Uint8Array(40);
    const d = new DataView(p.buffer);
    d.setUint32(0, 0, true);
    d.setBigUint64(8, BigInt(desc), true);
    d.setBigUint64(16, BigInt(UVA + USED), true);
    d.setBigUint64(24, BigInt(UVA + AVAIL), true);
    return p;
  }

  desc(table: number, i: number, addr: number, len: number, flags: number, next: number): void {
    const at = table + i * 16;
    this.dv.setBigUint64(at, BigInt(addr), true);
    this.dv.setUint32(at + 8, len, true);
    this.dv.setUint16(at + 12, flags, true);
    this.dv.setUint16(at + 14, next, true);
  }

  header(at: number, type: number, sector: number): void {
    this.dv.setUint32(at, type, true);
    this.dv.setUint32(at + 4, 0, true);
    this.dv.setBigUint64(at + 8, BigInt(sector), true);
  }

  /** Publish chain `head` and kick. */
  publish(head: number): void {
    this.dv.setUint16(AVAIL + 4 + 2 * (this.availIdx % QSIZE), head, true);
    this.availIdx = (this.availIdx + 1) & 0xffff;
    this.dv.setUint16(AVAIL + 2, this.availIdx, true);
    a.eventfdWrite(this.kick);
  }

  /** Wait for the next used element: { id, len }, or null when none comes within ~1 s. */
  async used(): Promise<{ id: number; len: number } | null> {
    for (let i = 0; i < 500; i++) {
      if (this.dv.getUint16(USED + 2, true) !== this.usedSeen) {
        const at = USED + 4 + 8 * (this.usedSeen % QSIZE);
        this.usedSeen = (this.usedSeen + 1) & 0xffff;
        return { id: this.dv.getUint32(at, true), len: this.dv.getUint32(at + 4, true) };
      }
      await tick();
    }
    return null;
  }

  /** A 3-descriptor request: header, data (`len` bytes, device-writable unless `out`), status. */
  async request(type: number, sector: number, len: number, out = false): Promise<{ status: number; len: number } | null> {
    this.header(DATA, type, sector);
    this.u8[DATA + 0x100] = 0xff;
    this.desc(DESC, 0, DATA, 16, 1, 1);
    this.desc(DESC, 1, DATA + 0x1000, len, 1 | (out ? 0 : 2), 2);
    this.desc(DESC, 2, DATA + 0x100, 1, 2, 0);
    this.publish(0);
    const u = await this.used();
    return u === null ? null : { status: this.u8[DATA + 0x100], len: u.len };
  }

  close(): void {
    a.close(this.fd);
    a.munmap(this.ram);
    for (const fd of [this.kick, this.call, this.err]) a.close(fd);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'qco-vu-proto-'));
const img = join(dir, 'disk.img');
const sock = join(dir, 'vu.sock');
const content = Buffer.alloc(1 << 20);
for (let i = 0; i < content.length; i++) content[i] = (i * 7 + (i >> 12)) & 0xff;
let blk: BlockBackend;
let exp: VhostUserBlkExport;
const logged: string[] = [];

beforeAll(async () => {
  writeFileSync(img, content);
  blk = await BlockBackend.open(img);
  exp = await startVhostUserBlkExport({ node: blk, socket: sock, writable: true, serial: 'qco-proto', log: (l) => logged.push(l) });
});

afterAll(async () => {
  await exp.close();
  await blk.close();
});

const ALL = VIRTIO_F_VERSION_1 | VHOST_USER_F_PROTOCOL_FEATURES | VIRTIO_RING_F_INDIRECT_DESC | VIRTIO_RING_F_EVENT_IDX;

describe('vhost-user-blk protocol', () => {
  test('/vhost-user-blk/config: GET_QUEUE_NUM and the virtio-blk config space', async () => {
    const fe = new FrontEnd(sock);
    fe.send(R.GET_QUEUE_NUM, new Uint8Array(0));
    expect((await fe.reply())?.getBigUint64(0, true)).toBe(1n);
    const q = new Uint8Array(12 + 60);
    new DataView(q.buffer).setUint32(4, 60, true);
    fe.send(R.GET_CONFIG, q);
    const c = (await fe.reply()) as DataView;
    expect(c.getBigUint64(12, true)).toBe(BigInt((1 << 20) / 512)); // capacity
    expect(c.getUint32(12 + 20, true)).toBe(512); // blk_size
    // The I/O geometry QEMU's export gives: seg_max 126, min_io_size and opt_io_size one block each.
    expect(c.getUint32(12 + 12, true)).toBe(126); // seg_max
    expect(c.getUint16(12 + 26, true)).toBe(1); // min_io_size
    expect(c.getUint32(12 + 28, true)).toBe(1); // opt_io_size
    expect(c.getUint16(12 + 34, true)).toBe(1); // num_queues
    expect(c.getUint32(12 + 40, true)).toBe(1); // max_discard_seg
    fe.close();
    await exp.whenDisconnected();
  });

  test('/vhost-user-blk/config/writeback: write-through at start (CONFIG_WCE, writeback 0, as QEMU\'s export) over a backend whose write cache is on (writethrough=off, as qemu-storage-daemon\'s default); SET_CONFIG sets both, other bytes are refused', async () => {
    const fe = new FrontEnd(sock);
    fe.send(R.GET_FEATURES, new Uint8Array(0));
    expect(((await fe.reply())?.getBigUint64(0, true) as bigint) & (1n << 11n)).toBe(1n << 11n);
    await fe.setUp(ALL);
    const config = async (): Promise<DataView> => {
      const q = new Uint8Array(12 + 60);
      new DataView(q.buffer).setUint32(4, 60, true);
      fe.send(R.GET_CONFIG, q);
      return (await fe.reply()) as DataView;
    };
    expect((await config()).getUint8(12 + 32)).toBe(0);
    expect(exp.writeback).toBe(false);
    expect(exp.writeCache).toBe(true);
    // Which writes reach the node as FUA: none while the backend's write cache is on.
    const fua: boolean[] = [];
    const bs = blk.bs;
    const pwritev = bs.coPwritev.bind(bs);
    bs.coPwritev = function* (offset, bytes, qiov, flags) {
      fua.push(flags.fua === true);
      yield* pwritev(offset, bytes, qiov, flags);
    };
    expect(await fe.request(1, 16, 4096, true)).toEqual({ status: 0, len: 1 });
    const set = async (offset: number, value: number, flags = 0): Promise<bigint> => {
      const p = new Uint8Array(13);
      const d = new DataView(p.buffer);
      d.setUint32(0, offset, true);
      d.setUint32(4, 1, true);
      d.setUint32(8, flags, true);
      p[12] = value;
      fe.send(R.SET_CONFIG, p, [], VHOST_USER_NEED_REPLY_MASK);
      return (await fe.reply())?.getBigUint64(0, true) as bigint;
    };
    expect(await set(0, 9)).toBe(1n); // capacity is not the driver's to change
    expect(await set(32, 1, 1)).toBe(1n); // a migration write (flags 1) is refused
    expect(exp.writeback).toBe(false);
    expect(exp.writeCache).toBe(true);
    expect(await set(32, 1)).toBe(0n);
    expect(exp.writeback).toBe(true);
    expect(exp.writeCache).toBe(true);
    expect((await config()).getUint8(12 + 32)).toBe(1);
    expect(await set(32, 0)).toBe(0n);
    expect(exp.writeback).toBe(false);
    expect(exp.writeCache).toBe(false);
    expect(await fe.request(1, 16, 4096, true)).toEqual({ status: 0, len: 1 });
    Reflect.deleteProperty(bs, 'coPwritev');
    expect(fua).toEqual([false, true]);
    expect(await set(32, 1)).toBe(0n);
    expect(exp.writeCache).toBe(true);
    fe.close();
    await exp.whenDisconnected();
  });

  test('/vhost-user-blk/requests: IN, OUT, FLUSH, GET_ID, indirect chains, status codes', async () => {
    const fe = new FrontEnd(sock);
    await fe.setUp(ALL);
    // IN at sector 8: the file's bytes land in guest memory, used len counts data + status.
    expect(await fe.request(0, 8, 4096)).toEqual({ status: 0, len: 4097 });
    expect(Buffer.from(fe.u8.subarray(DATA + 0x1000, DATA + 0x2000)).equals(content.subarray(4096, 8192))).toBe(true);
    // OUT at sector 16, then read back on the host.
    fe.u8.fill(0xa5, DATA + 0x1000, DATA + 0x2000);
    expect(await fe.request(1, 16, 4096, true)).toEqual({ status: 0, len: 1 });
    expect((await blk.pread(8192, 4096)).every((b) => b === 0xa5)).toBe(true);
    expect(await fe.request(4, 0, 0)).toEqual({ status: 0, len: 1 });
    expect(await fe.request(8, 0, 20)).toEqual({ status: 0, len: 21 });
    expect(Buffer.from(fe.u8.subarray(DATA + 0x1000, DATA + 0x1009)).toString()).toBe('qco-proto');
    // Past the end of the disk, misaligned, unknown type.
    expect(await fe.request(0, 2047, 4096)).toEqual({ status: 1, len: 1 });
    expect(await fe.request(0, 0, 100)).toEqual({ status: 1, len: 1 });
    expect(await fe.request(99, 0, 512)).toEqual({ status: 2, len: 1 });
    // The same IN through an indirect table of three descriptors.
    fe.header(DATA, 0, 0);
    fe.desc(INDIRECT, 0, DATA, 16, 1, 1);
    fe.desc(INDIRECT, 1, DATA + 0x1000, 512, 3, 2);
    fe.desc(INDIRECT, 2, DATA + 0x100, 1, 2, 0);
    fe.desc(DESC, 3, INDIRECT, 48, 4, 0);
    fe.publish(3);
    expect(await fe.used()).toEqual({ id: 3, len: 513 });
    expect(Buffer.from(fe.u8.subarray(DATA + 0x1000, DATA + 0x1200)).equals(content.subarray(0, 512))).toBe(true);
    // A header split over two descriptors and the status byte at the end of a longer last one.
    fe.header(DATA, 0, 1);
    fe.u8.copyWithin(DATA + 0x20, DATA + 8, DATA + 16); // the second half elsewhere, so the halves stay two segments
    fe.u8.fill(0xee, DATA + 0x1000, DATA + 0x1201);
    fe.desc(DESC, 0, DATA, 8, 1, 1);
    fe.desc(DESC, 1, DATA + 0x20, 8, 1, 2);
    fe.desc(DESC, 2, DATA + 0x1000, 513, 2, 0);
    fe.publish(0);
    expect(await fe.used()).toEqual({ id: 0, len: 513 });
    expect(Buffer.from(fe.u8.subarray(DATA + 0x1000, DATA + 0x1200)).equals(content.subarray(512, 1024))).toBe(true);
    expect(fe.u8[DATA + 0x1200]).toBe(0);
    expect(exp.requestCounts).toMatchObject({ in: 5, out: 3, flush: 1, getId: 1, other: 1 });
    fe.close();
    await exp.whenDisconnected();
  });

  test('/vhost-user-blk/requests/contiguous-descriptors: descriptors that continue each other read and write as one span', async () => {
    const fe = new FrontEnd(sock);
    await fe.setUp(ALL);
    // OUT at sector 32: the header right before the data, two contiguous data pages, then one after a gap.
    fe.header(DATA + 0xff0, 1, 32);
    fe.u8.fill(0x11, DATA + 0x1000, DATA + 0x2000);
    fe.u8.fill(0x22, DATA + 0x2000, DATA + 0x3000);
    fe.u8.fill(0x33, DATA + 0x4000, DATA + 0x5000);
    fe.u8[DATA + 0x100] = 0xff;
    fe.desc(DESC, 0, DATA + 0xff0, 16, 1, 1);
    fe.desc(DESC, 1, DATA + 0x1000, 0x1000, 1, 2);
    fe.desc(DESC, 2, DATA + 0x2000, 0x1000, 1, 3);
    fe.desc(DESC, 3, DATA + 0x4000, 0x1000, 1, 4);
    fe.desc(DESC, 4, DATA + 0x100, 1, 2, 0);
    fe.publish(0);
    expect(await fe.used()).toEqual({ id: 0, len: 1 });
    expect(fe.u8[DATA + 0x100]).toBe(0);
    const back = await blk.pread(32 * 512, 0x3000);
    expect([back[0], back[0xfff], back[0x1000], back[0x1fff], back[0x2000], back[0x2fff]]).toEqual([0x11, 0x11, 0x22, 0x22, 0x33, 0x33]);
    // IN of the same 12 KiB: two contiguous data descriptors and the status byte right after them.
    fe.header(DATA, 0, 32);
    fe.u8.fill(0, DATA + 0x1000, DATA + 0x4000);
    fe.u8[DATA + 0x4000] = 0xff;
    fe.desc(DESC, 0, DATA, 16, 1, 1);
    fe.desc(DESC, 1, DATA + 0x1000, 0x1000, 3, 2);
    fe.desc(DESC, 2, DATA + 0x2000, 0x2000, 3, 3);
    fe.desc(DESC, 3, DATA + 0x4000, 1, 2, 0);
    fe.publish(0);
    expect(await fe.used()).toEqual({ id: 0, len: 0x3001 });
    expect(fe.u8[DATA + 0x4000]).toBe(0);
    expect(Buffer.from(fe.u8.subarray(DATA + 0x1000, DATA + 0x4000)).equals(back)).toBe(true);
    // A readable descriptor after a writable one is still refused, merged or not.
    fe.desc(DESC, 0, DATA, 16, 1, 1);
    fe.desc(DESC, 1, DATA + 0x1000, 0x1000, 3, 2);
    fe.desc(DESC, 2, DATA + 0x2000, 0x1000, 1, 3);
    fe.desc(DESC, 3, DATA + 0x100, 1, 2, 0);
    fe.publish(0);
    expect(await fe.used()).toBeNull();
    expect(logged.some((l) => l.includes('Incorrect order for descriptors'))).toBe(true);
    fe.close();
    await exp.whenDisconnected();
  });

  test('/vhost-user-blk/event-idx: no call while used_event says the driver does not want one', async () => {
    const fe = new FrontEnd(sock);
    await fe.setUp(ALL);
    const before = { ...exp.stats };
    expect(await fe.request(0, 0, 512)).toMatchObject({ status: 0 });
    expect(a.eventfdRead(fe.call)).toBe(1); // the first completion always notifies
    fe.dv.setUint16(AVAIL + 4 + 2 * QSIZE, 100, true); // used_event far ahead
    expect(await fe.request(0, 0, 512)).toMatchObject({ status: 0 });
    expect(await fe.request(0, 0, 512)).toMatchObject({ status: 0 });
    expect(a.eventfdRead(fe.call)).toBe(-11); // EAGAIN: never written
    // avail_event tells the driver where to kick next.
    expect(fe.dv.getUint16(USED + 4 + 8 * QSIZE, true)).toBe(3);
    expect(exp.stats.suppressed - before.suppressed).toBe(2);
    expect(exp.stats.notifications - before.notifications).toBe(1);
    fe.close();
    await exp.whenDisconnected();
  });

  test('/vhost-user-blk/hostile/desc-outside-memory: the queue is broken, nothing is written, the export lives on', async () => {
    const fe = new FrontEnd(sock);
    await fe.setUp(ALL);
    const before = readFileSync(img);
    fe.header(DATA, 0, 0);
    fe.desc(DESC, 0, DATA, 16, 1, 1);
    fe.desc(DESC, 1, MEM - 256, 4096, 3, 2); // runs off the end of guest RAM
    fe.desc(DESC, 2, DATA + 0x100, 1, 2, 0);
    fe.publish(0);
    expect(await fe.used()).toBeNull();
    expect(a.eventfdRead(fe.err)).toBe(1);
    expect(logged.some((l) => l.includes('is outside guest memory'))).toBe(true);
    // A looping chain and an out-of-range head on the same broken queue change nothing either.
    fe.desc(DESC, 4, DATA, 16, 1, 4);
    fe.publish(4);
    expect(await fe.used()).toBeNull();
    expect(readFileSync(img).equals(before)).toBe(true);
    fe.close();
    await exp.whenDisconnected();
    // A new front-end gets a working device.
    const again = new FrontEnd(sock);
    await again.setUp(ALL);
    expect(await again.request(0, 0, 512)).toEqual({ status: 0, len: 513 });
    again.close();
    await exp.whenDisconnected();
  });

  test('/vhost-user-blk/hostile/looped-chain and no-status-byte', async () => {
    const fe = new FrontEnd(sock);
    await fe.setUp(ALL);
    // A chain with a header and no writable byte: returned empty, the queue keeps working.
    fe.header(DATA, 0, 0);
    fe.desc(DESC, 0, DATA, 16, 0, 0);
    fe.publish(0);
    expect(await fe.used()).toEqual({ id: 0, len: 0 });
    expect(await fe.request(0, 0, 512)).toEqual({ status: 0, len: 513 });
    // A chain that loops on itself breaks the queue.
    fe.desc(DESC, 5, DATA + 0x200, 16, 3, 6);
    fe.desc(DESC, 6, DATA + 0x100, 1, 3, 5);
    fe.publish(5);
    expect(await fe.used()).toBeNull();
    expect(logged.some((l) => l.includes('Looped descriptor'))).toBe(true);
    fe.close();
    await exp.whenDisconnected();
  });

  test('/vhost-user-blk/hostile/messages: oversized payloads and bad vring addresses end the connection', async () => {
    const big = new FrontEnd(sock);
    const hdr = new Uint8Array(12);
    const h = new DataView(hdr.buffer);
    h.setUint32(0, R.SET_MEM_TABLE, true);
    h.setUint32(4, 1, true);
    h.setUint32(8, 64 << 20, true);
    a.send(big.fd, hdr);
    expect(await big.closedByPeer()).toBe(true);
    expect(logged.some((l) => l.includes('too large'))).toBe(true);
    big.close();
    await exp.whenDisconnected();

    const bad = new FrontEnd(sock);
    await bad.setUp(ALL);
    bad.send(R.SET_VRING_ADDR, bad.addrPayload(0x1000)); // not inside any region
    expect(await bad.closedByPeer()).toBe(true);
    expect(logged.some((l) => l.includes('Invalid vring_addr message'))).toBe(true);
    bad.close();
    await exp.whenDisconnected();

    // Unknown requests without need_reply are a protocol error too; with it they are nacked.
    const odd = new FrontEnd(sock);
    odd.send(R.GET_PROTOCOL_FEATURES, new Uint8Array(0));
    await odd.reply();
    odd.send(R.SET_PROTOCOL_FEATURES, u64Payload(VHOST_USER_PROTOCOL_F_REPLY_ACK));
    odd.send(77, new Uint8Array(0), [], VHOST_USER_NEED_REPLY_MASK);
    expect((await odd.reply())?.getBigUint64(0, true)).toBe(1n);
    odd.send(77, new Uint8Array(0));
    expect(await odd.closedByPeer()).toBe(true);
    odd.close();
    await exp.whenDisconnected();
  });
});
