/**
 * Fuzzing the reply path: thousands of truncated, bit-flipped and random
 * replies through the record-marking reader, the RPC reply decoder and the
 * NFSv3 result decoders must give a value or an RpcError — never another
 * exception, never a hang — and a client talking to a server that sends
 * garbage must fail its calls with an RpcError within its timeout.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Reader } from '@jsonjoy.com/buffers/lib/Reader.js';
import { RpcMessageEncoder, RpcOpaqueAuth } from '@jsonjoy.com/json-pack/lib/rpc/index.js';
import {
  Nfsv3CommitResOk,
  Nfsv3CommitResponse,
  Nfsv3Encoder,
  Nfsv3Fattr,
  Nfsv3Fh,
  Nfsv3GetattrResOk,
  Nfsv3GetattrResponse,
  Nfsv3LookupResOk,
  Nfsv3LookupResponse,
  Nfsv3PostOpAttr,
  Nfsv3PreOpAttr,
  Nfsv3ReadResOk,
  Nfsv3ReadResponse,
  Nfsv3SpecData,
  Nfsv3Time,
  Nfsv3WccData,
  Nfsv3WriteResOk,
  Nfsv3WriteResponse,
  type Nfsv3Response,
} from '@jsonjoy.com/json-pack/lib/nfs/v3/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import { coroutineRun } from '@qco/core';
import { Nfs3ProcNo } from '../src/drivers/nfs/constants.js';
import { RpcError } from '../src/drivers/nfs/errors.js';
import { decodeMntResults, decodeNfs3Results } from '../src/drivers/nfs/nfs3/nfs3-calls.js';
import { RecordReader } from '../src/drivers/nfs/rpc/record-marking.js';
import { RpcClient } from '../src/drivers/nfs/rpc/rpc-client.js';
import { decodeRpcReply } from '../src/drivers/nfs/rpc/rpc-reply.js';

let seed = 0x9e3779b9;
function rnd(n: number): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
}
function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rnd(256);
  return b;
}

const t = new Nfsv3Time(1, 2);
const fattr = new Nfsv3Fattr(1, 0o644, 1, 0, 0, 4096n, 4096n, new Nfsv3SpecData(0, 0), 1n, 2n, t, t, t);
const wcc = new Nfsv3WccData(new Nfsv3PreOpAttr(false), new Nfsv3PostOpAttr(true, fattr));
const verf = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
const samples: [number, Nfsv3Response][] = [
  [Nfs3ProcNo.READ, new Nfsv3ReadResponse(0, new Nfsv3ReadResOk(new Nfsv3PostOpAttr(true, fattr), 37, false, randomBytes(37)))],
  [Nfs3ProcNo.WRITE, new Nfsv3WriteResponse(0, new Nfsv3WriteResOk(wcc, 4096, 0, verf))],
  [Nfs3ProcNo.COMMIT, new Nfsv3CommitResponse(0, new Nfsv3CommitResOk(wcc, verf))],
  [Nfs3ProcNo.GETATTR, new Nfsv3GetattrResponse(0, new Nfsv3GetattrResOk(fattr))],
  [Nfs3ProcNo.LOOKUP, new Nfsv3LookupResponse(0, new Nfsv3LookupResOk(new Nfsv3Fh(randomBytes(28)), new Nfsv3PostOpAttr(true, fattr), new Nfsv3PostOpAttr(false)))],
];
const noAuth = new RpcOpaqueAuth(0, new Reader(new Uint8Array(0)));

function validReply(xid: number, proc: number, res: Nfsv3Response): Uint8Array {
  const results = new Nfsv3Encoder().encodeMessage(res, proc, false).slice();
  return new RpcMessageEncoder().encodeAcceptedReply(xid, noAuth, 0, undefined, results).slice();
}

/** Decode like the client does; anything but RpcError escaping is a failure. */
function decodeAll(record: Uint8Array, proc: number): 'ok' | 'error' {
  try {
    const reply = decodeRpcReply(record);
    if (reply.results !== undefined) {
      decodeNfs3Results(proc, reply.results);
      decodeMntResults(new Reader(record));
    }
    return 'ok';
  } catch (err) {
    if (err instanceof RpcError) return 'error';
    throw err;
  }
}

describe('nfs reply decoder fuzz', () => {
  it('valid replies decode', () => {
    for (const [proc, res] of samples) {
      const reply = decodeRpcReply(validReply(42, proc, res));
      expect(reply.xid).toBe(42);
      expect(reply.error).toBeUndefined();
      expect(decodeNfs3Results(proc, reply.results as Reader)).toBeInstanceOf(res.constructor);
    }
  });

  it('every truncation of every reply is an error or a value, never a crash', () => {
    let errors = 0;
    let runs = 0;
    for (const [proc, res] of samples) {
      const full = validReply(7, proc, res);
      for (let len = 0; len < full.length; len++) {
        const r = decodeAll(full.slice(0, len), proc);
        runs++;
        if (r === 'error') errors++;
      }
    }
    expect(runs).toBeGreaterThan(500);
    // Cutting a reply short must be noticed almost always (a cut right after a
    // complete optional part can still be a valid, shorter reply).
    expect(errors / runs).toBeGreaterThan(0.9);
  });

  it('thousands of bit-flipped and random replies never crash', () => {
    let runs = 0;
    for (let i = 0; i < 4000; i++) {
      const [proc, res] = samples[rnd(samples.length)];
      const rec = validReply(i, proc, res);
      const flips = 1 + rnd(6);
      for (let k = 0; k < flips; k++) rec[rnd(rec.length)] ^= 1 << rnd(8);
      decodeAll(rec, proc);
      decodeAll(randomBytes(rnd(300)), proc);
      runs += 2;
    }
    expect(runs).toBe(8000);
  });

  it('record marking: random streams in random pieces give records or an RpcError', () => {
    for (let i = 0; i < 3000; i++) {
      const rr = new RecordReader(1 << 20);
      const stream = randomBytes(rnd(2000));
      if (rnd(2) === 0) stream[0] &= 0x00; // small fragment lengths sometimes
      try {
        for (let at = 0; at < stream.length; ) {
          const n = 1 + rnd(64);
          for (const rec of rr.push(stream.subarray(at, at + n))) decodeAll(rec, Nfs3ProcNo.READ);
          at += n;
        }
      } catch (err) {
        expect(err).toBeInstanceOf(RpcError);
      }
    }
  });

  it('record marking reassembles fragments split anywhere', () => {
    const a = randomBytes(1000);
    const b = randomBytes(10);
    const hdr = (last: boolean, n: number): Uint8Array => {
      const h = new Uint8Array(4);
      new DataView(h.buffer).setUint32(0, (last ? 0x80000000 : 0) + n);
      return h;
    };
    const stream = Buffer.concat([hdr(false, 600), a.subarray(0, 600), hdr(true, 400), a.subarray(600), hdr(true, 10), b, hdr(true, 0)]);
    for (let step = 1; step < 50; step += 7) {
      const rr = new RecordReader();
      const out: Uint8Array[] = [];
      for (let at = 0; at < stream.length; at += step) rr.push(stream.subarray(at, at + step), out);
      expect(out.map((r) => Buffer.from(r).toString('hex'))).toEqual([Buffer.from(a).toString('hex'), Buffer.from(b).toString('hex'), '']);
    }
  });
});

describe('nfs record marking bounds', () => {
  it('zero-length non-final fragments count against the fragment bound, and records around them still arrive', () => {
    const rr = new RecordReader(1 << 20, 100);
    const zero = Buffer.alloc(4 * 100); // 100 empty non-final fragments
    const last = Buffer.from([0x80, 0, 0, 2, 7, 9]);
    expect(rr.push(Buffer.concat([zero.subarray(0, 4 * 99), last])).map((r) => Buffer.from(r).toString('hex'))).toEqual(['0709']);
    expect(() => rr.push(Buffer.concat([zero, zero]))).toThrow('RPC record of more than 100 fragments exceeds the limit');
  });
});

describe('nfs RPC client against a misbehaving server', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  async function serve(onCall: (sock: Socket, data: Buffer) => void): Promise<number> {
    server = createServer((sock) => {
      sock.on('data', (d) => onCall(sock, d));
      sock.on('error', () => {});
    });
    await new Promise<void>((r) => (server as Server).listen(0, '127.0.0.1', () => r()));
    return (server.address() as { port: number }).port;
  }

  async function callOnce(port: number): Promise<unknown> {
    const client = new RpcClient({ host: '127.0.0.1', port, timeoutMs: 800, bufferSize: 4096 });
    try {
      return await coroutineRun(function* () {
        yield* client.connect();
        return yield* client.call(100003, 3, 0, null, { what: 'NULL' });
      });
    } catch (err) {
      return err;
    } finally {
      client.close();
    }
  }

  it('garbage, truncation, oversized records, wrong xids and silence all end in an RpcError in time', async () => {
    const behaviours: ((s: Socket, d: Buffer) => void)[] = [
      (s) => s.write(randomBytes(200)),
      (s) => s.write(Buffer.from([0x80, 0, 0, 40, 1, 2, 3])), // record cut short, then silence
      (s) => s.end(Buffer.from([0x80, 0, 0, 40, 1, 2, 3])), // record cut short, then close
      (s) => s.write(Buffer.from([0xff, 0xff, 0xff, 0xff])), // 2 GiB fragment
      (s, d) => {
        // well-formed reply to another xid
        const xid = d.readUInt32BE(4) ^ 1;
        const body = new RpcMessageEncoder().encodeAcceptedReply(xid, noAuth, 0).slice();
        const h = Buffer.alloc(4);
        h.writeUInt32BE(0x80000000 + body.length);
        s.write(Buffer.concat([h, body]));
      },
      (s, d) => {
        // a reply whose header says CALL
        const h = Buffer.from([0x80, 0, 0, 8]);
        s.write(Buffer.concat([h, d.subarray(4, 8), Buffer.from([0, 0, 0, 0])]));
      },
      () => {}, // silence
      (s) => s.destroy(), // reset
    ];
    for (const b of behaviours) {
      const port = await serve(b);
      // Settling at all is the point: a hang would hit the test timeout.
      const res = await callOnce(port);
      expect(res).toBeInstanceOf(RpcError);
      await new Promise<void>((r) => (server as Server).close(() => r()));
      server = undefined;
    }
  });

  it('large calls that outgrow the encoder buffer are framed correctly, many in flight', async () => {
    // A server that parses our record marking and answers each call by xid.
    const port = await serve((s, d) => {
      const st = s as Socket & { rr?: RecordReader };
      st.rr ??= new RecordReader(8 << 20);
      for (const rec of st.rr.push(d)) {
        const xid = Buffer.from(rec.buffer, rec.byteOffset, rec.length).readUInt32BE(0);
        const body = new RpcMessageEncoder().encodeAcceptedReply(xid, noAuth, 0, undefined, new Uint8Array([0, 0, 0, rec.length & 0xff])).slice();
        const h = Buffer.alloc(4);
        h.writeUInt32BE(0x80000000 + body.length);
        s.write(Buffer.concat([h, body]));
      }
    });
    const client = new RpcClient({ host: '127.0.0.1', port, timeoutMs: 20_000, bufferSize: 1 << 20, maxInFlight: 16 });
    try {
      const sizes = await coroutineRun(function* () {
        yield* client.connect();
        const calls = [];
        for (let i = 0; i < 40; i++) {
          const len = 300_000 + i * 17_001;
          calls.push(
            yield* client.start(
              100003,
              3,
              7,
              (w) => {
                const x = new Uint8Array(len).fill(i);
                w.buf(x, x.length);
              },
              { sizeHint: i % 2 === 0 ? 16 : len }, // half of them lie about their size
            ),
          );
        }
        const got: number[] = [];
        for (const c of calls) got.push((yield* client.wait(c)).u32());
        return got;
      });
      // Each reply echoes the low byte of the record length it parsed.
      expect(sizes).toEqual(Array.from({ length: 40 }, (_, i) => (300_000 + i * 17_001 + 40) & 0xff));
    } finally {
      client.close();
    }
  });

  it('a reply with a refusal fails only that call', async () => {
    const port = await serve((s, d) => {
      const xid = d.readUInt32BE(4);
      const body = new RpcMessageEncoder().encodeAcceptedReply(xid, noAuth, 1 /* PROG_UNAVAIL */).slice();
      const h = Buffer.alloc(4);
      h.writeUInt32BE(0x80000000 + body.length);
      s.write(Buffer.concat([h, body]));
    });
    const res = await callOnce(port);
    expect(res).toBeInstanceOf(RpcError);
    expect((res as Error).message).toContain('PROG_UNAVAIL');
  });
});
