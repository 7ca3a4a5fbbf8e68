/**
 * A byte-level NBD client for protocol tests and the fuzzer: raw socket
 * reads with deadlines, and helpers that build options and requests with
 * the codec under test's peer-independent constants.
 */
import { connect, type Socket } from 'node:net';
import {
  NBD_FLAG_C_FIXED_NEWSTYLE,
  NBD_FLAG_C_NO_ZEROES,
  NBD_OPT_GO,
  NBD_OPT_STRUCTURED_REPLY,
} from '../src/nbd/constants.js';
import { encodeGoPayload, encodeOptionRequest } from '../src/nbd/codec.js';

/** A raw connection. */
export class RawNbd {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;
  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }
  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
  /** Connect to 127.0.0.1:port. */
  static open(port: number): Promise<RawNbd> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => resolve(new RawNbd(s)));
      s.once('error', reject);
    });
  }
  /** Read exactly n bytes (rejects when closed first or after timeoutMs). */
  async read(n: number, timeoutMs = 5000): Promise<Buffer> {
    const end = Date.now() + timeoutMs;
    while (this.buf.length < n) {
      if (this.closed) throw new Error(`closed after ${this.buf.length} of ${n} bytes`);
      if (Date.now() > end) throw new Error(`timed out waiting for ${n} bytes`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
  /** Wait until the server closes the connection; true if it did within timeoutMs. */
  async waitClosed(timeoutMs = 5000): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < end) await new Promise<void>((r) => {
      this.waiters.push(r);
      setTimeout(r, 50);
    });
    return this.closed;
  }
  write(b: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(b);
  }
  destroy(): void {
    this.socket.destroy();
  }
  /** Read the greeting and send client flags. */
  async greet(): Promise<void> {
    await this.read(18);
    const f = Buffer.alloc(4);
    f.writeUInt32BE(NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES);
    this.write(f);
  }
  /** Read one option reply: [opt, type, data]. */
  async optionReply(): Promise<{ opt: number; type: number; data: Buffer }> {
    const h = await this.read(20);
    const len = h.readUInt32BE(16);
    return { opt: h.readUInt32BE(8), type: h.readUInt32BE(12), data: len ? Buffer.from(await this.read(len)) : Buffer.alloc(0) };
  }
  /** Greeting, optional structured replies, GO; returns the export size and flags. */
  async go(name: string, structured = false): Promise<{ size: number; flags: number }> {
    await this.greet();
    if (structured) {
      this.write(encodeOptionRequest(NBD_OPT_STRUCTURED_REPLY));
      await this.optionReply();
    }
    this.write(encodeOptionRequest(NBD_OPT_GO, encodeGoPayload(name, [])));
    let size = -1;
    let flags = 0;
    for (;;) {
      const r = await this.optionReply();
      if (r.type === 1) break;
      if (r.type & 0x80000000) throw new Error(`GO failed: ${r.type.toString(16)} ${r.data.toString()}`);
      if (r.data.readUInt16BE(0) === 0) {
        size = Number(r.data.readBigUInt64BE(2));
        flags = r.data.readUInt16BE(10);
      }
    }
    return { size, flags };
  }
}

/** A request header. */
export function request(type: number, offset: number, length: number, cookie = 1n, flags = 0): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt32BE(0x25609513, 0);
  b.writeUInt16BE(flags, 4);
  b.writeUInt16BE(type, 6);
  b.writeBigUInt64BE(cookie, 8);
  b.writeBigUInt64BE(BigInt(offset), 16);
  b.writeUInt32BE(length, 24);
  return b;
}
