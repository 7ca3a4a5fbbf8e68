/**
 * NbdStream over a real TCP connection read through net's `onread`, as the
 * NBD client reads its replies: frames of a small header and a payload of
 * any size, sent in pieces that cut headers and payloads anywhere, must come
 * out byte for byte, with and without recycled receive buffers.
 */
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { coWaitFor, coroutineRun, type Co } from '@qco/core';
import { afterEach, describe, expect, it } from 'vitest';
import { NbdStream } from '../src/nbd/stream.js';

let server: Server | null = null;
afterEach(() => {
  server?.close();
  server = null;
});

/** Frames of [4-byte length][payload], payload sizes mixed from 0 bytes to 300 KiB. */
function frames(seed: number, count: number): Buffer[] {
  let x = seed;
  const rnd = (n: number): number => {
    x = (x * 1103515245 + 12345) >>> 0;
    return x % n;
  };
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const len = rnd(4) === 0 ? rnd(300 * 1024) : rnd(5000);
    const f = Buffer.alloc(4 + len);
    f.writeUInt32BE(len, 0);
    randomBytes(len).copy(f, 4);
    out.push(f);
  }
  return out;
}

/** A server that sends `data` in writes of random sizes; a client socket reading it through the stream. */
async function connectStream(data: Buffer, recycle: boolean): Promise<NbdStream> {
  server = createServer((s: Socket) => {
    let at = 0;
    const pump = (): void => {
      while (at < data.length) {
        const n = Math.min(data.length - at, 1 + Math.floor(Math.random() * 100_000));
        const more = s.write(data.subarray(at, at + n));
        at += n;
        if (!more) {
          s.once('drain', pump);
          return;
        }
      }
      s.end();
    };
    pump();
  });
  await new Promise<void>((r) => (server as Server).listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const fallback = Buffer.allocUnsafe(16 * 1024);
  const sink: { stream: NbdStream | null } = { stream: null };
  const sock = connect({
    host: '127.0.0.1',
    port,
    onread: {
      buffer: () => (sink.stream !== null ? sink.stream.nextReadBuffer(fallback) : fallback),
      callback: (n: number, buf: Uint8Array) => {
        sink.stream?.pushFrom(buf, n);
        return true;
      },
    },
  });
  const stream = new NbdStream(sock);
  if (recycle) stream.recycleReceiveBuffers();
  sink.stream = stream;
  return stream;
}

function* readFrames(stream: NbdStream, count: number): Co<Buffer[]> {
  const got: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    // A reader that falls behind now and then, so several socket reads queue up unread bytes.
    if (i % 16 === 0) yield* coWaitFor((done) => setTimeout(() => done(null), 2));
    // Parsed at once, as the contract of recycled buffers asks.
    const len = (yield* stream.read(4)).readUInt32BE(0);
    const f = Buffer.alloc(4 + len);
    f.writeUInt32BE(len, 0);
    // Short payloads through read (a view, copied before the next yield), long ones through readInto.
    if (len < 2048) (yield* stream.read(len)).copy(f, 4);
    else yield* stream.readInto(f.subarray(4));
    got.push(f);
  }
  return got;
}

describe('NbdStream', () => {
  for (const recycle of [false, true]) {
    it(`frames cut anywhere arrive intact ${recycle ? 'with recycled receive buffers' : 'copied out of the caller buffer'}`, async () => {
      const want = frames(recycle ? 7 : 11, 400);
      const stream = await connectStream(Buffer.concat(want), recycle);
      const got = await coroutineRun(() => readFrames(stream, want.length));
      stream.destroy();
      expect(got.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) {
        if (!got[i].equals(want[i])) throw new Error(`frame ${i} (${want[i].length - 4} bytes) differs`);
      }
    });
  }
});
