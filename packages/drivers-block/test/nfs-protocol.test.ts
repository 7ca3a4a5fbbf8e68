/**
 * Protocol behaviour that a healthy nfs-ganesha never shows, against a small
 * scripted NFSv3 + MOUNT server on 127.0.0.1 built from json-pack's codecs: a
 * short WRITE is EIO; a COMMIT whose verifier differs from the writes' makes
 * flush send every acknowledged write again (FILE_SYNC); and no more than 64
 * calls are ever in flight on the connection.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Reader } from '@jsonjoy.com/buffers/lib/Reader.js';
import { MountEncoder } from '@jsonjoy.com/json-pack/lib/nfs/v3/mount/MountEncoder.js';
import { MountMntResOk, MountMntResponse } from '@jsonjoy.com/json-pack/lib/nfs/v3/mount/messages.js';
import { MountFhandle3 } from '@jsonjoy.com/json-pack/lib/nfs/v3/mount/structs.js';
import {
  Nfsv3CommitResOk,
  Nfsv3CommitResponse,
  Nfsv3Decoder,
  Nfsv3Encoder,
  Nfsv3Fattr,
  Nfsv3Fh,
  Nfsv3FsinfoResOk,
  Nfsv3FsinfoResponse,
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
  type Nfsv3ReadRequest,
  type Nfsv3Response,
  type Nfsv3WriteRequest,
} from '@jsonjoy.com/json-pack/lib/nfs/v3/index.js';
import { RpcCallMessage, RpcMessageDecoder, RpcMessageEncoder, RpcOpaqueAuth } from '@jsonjoy.com/json-pack/lib/rpc/index.js';
import { afterEach, describe, expect, test } from 'vitest';
import { BlockBackend, BlockError, NfsBlockDriverState, setNfsDriverTuning } from '../src/index.js';
import { RecordReader } from '../src/drivers/nfs/rpc/record-marking.js';
import { endStarted } from '@qco/test-utils';

const MiB = 1024 * 1024;
const noAuth = new RpcOpaqueAuth(0, new Reader(new Uint8Array(0)));
const t = new Nfsv3Time(0, 0);
const FH = new Uint8Array([9, 9, 9, 9, 1, 2, 3, 4]);
const wcc = new Nfsv3WccData(new Nfsv3PreOpAttr(false), new Nfsv3PostOpAttr(false));

/** A scripted NFSv3 server holding one file in memory. */
class FakeNfsServer {
  readonly file = new Uint8Array(16 * MiB);
  writeVerf = new Uint8Array([1, 1, 1, 1, 1, 1, 1, 1]);
  commitVerf = new Uint8Array([1, 1, 1, 1, 1, 1, 1, 1]);
  shortWrites = false;
  /** stable_how of every WRITE received, in order. */
  readonly writes: { offset: number; length: number; stable: number }[] = [];
  outstanding = 0;
  maxOutstanding = 0;
  /** Hold replies until this many calls are outstanding (or a fallback timer fires), to see how many the client sends. */
  holdUntil = 0;
  private held: (() => void)[] = [];
  private server: Server | null = null;
  port = 0;

  async listen(): Promise<void> {
    this.server = createServer((s) => this.onConnection(s));
    await new Promise<void>((r) => (this.server as Server).listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as { port: number }).port;
  }

  close(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private onConnection(s: Socket): void {
    const rr = new RecordReader(8 * MiB);
    s.on('error', () => {});
    s.on('data', (d) => {
      for (const rec of rr.push(d)) {
        const msg = new RpcMessageDecoder().decodeMessage(new Reader(rec));
        if (!(msg instanceof RpcCallMessage)) continue;
        this.outstanding++;
        this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
        const results = this.handle(msg);
        const reply = (): void => {
          this.outstanding--;
          const body = new RpcMessageEncoder().encodeAcceptedReply(msg.xid, noAuth, 0, undefined, results).slice();
          const h = Buffer.alloc(4);
          h.writeUInt32BE(0x80000000 + body.length);
          s.write(Buffer.concat([h, body]));
        };
        if (this.holdUntil > 0) {
          this.held.push(reply);
          if (this.outstanding >= this.holdUntil) this.release();
          // A fallback so a client that sends fewer is still answered; long enough that a
          // loaded machine's slow trickle of calls still reaches holdUntil first.
          else setTimeout(() => this.release(), 1000);
        } else reply();
      }
    });
  }

  private release(): void {
    const h = this.held;
    this.held = [];
    for (const r of h) r();
  }

  private nfs(proc: number, res: Nfsv3Response): Uint8Array {
    return new Nfsv3Encoder().encodeMessage(res, proc, false).slice();
  }

  private handle(call: RpcCallMessage): Uint8Array {
    const args = call.params ?? new Reader(new Uint8Array(0));
    if (call.prog === 100005) {
      if (call.proc !== 1) return new Uint8Array(0);
      return new MountEncoder().encodeMessage(new MountMntResponse(0, new MountMntResOk(new MountFhandle3(new Reader(FH)), [1])), 1, false).slice();
    }
    const attr = new Nfsv3Fattr(1, 0o644, 1, 0, 0, BigInt(this.file.length), 0n, new Nfsv3SpecData(0, 0), 1n, 2n, t, t, t);
    const req = new Nfsv3Decoder().decodeMessage(args, call.proc, true);
    switch (call.proc) {
      case 3:
        return this.nfs(3, new Nfsv3LookupResponse(0, new Nfsv3LookupResOk(new Nfsv3Fh(FH), new Nfsv3PostOpAttr(false), new Nfsv3PostOpAttr(false))));
      case 1:
        return this.nfs(1, new Nfsv3GetattrResponse(0, new Nfsv3GetattrResOk(attr)));
      case 19:
        return this.nfs(19, new Nfsv3FsinfoResponse(0, new Nfsv3FsinfoResOk(new Nfsv3PostOpAttr(false), 65536, 65536, 4096, 65536, 65536, 4096, 4096, 1n << 40n, { seconds: 0, nseconds: 1 }, 0)));
      case 6: {
        const r = req as Nfsv3ReadRequest;
        const off = Number(r.offset);
        const data = this.file.slice(off, off + r.count);
        return this.nfs(6, new Nfsv3ReadResponse(0, new Nfsv3ReadResOk(new Nfsv3PostOpAttr(false), data.length, off + data.length >= this.file.length, data)));
      }
      case 7: {
        const w = req as Nfsv3WriteRequest;
        const off = Number(w.offset);
        this.file.set(w.data, off);
        this.writes.push({ offset: off, length: w.data.length, stable: w.stable });
        const count = this.shortWrites ? w.data.length - 1 : w.data.length;
        return this.nfs(7, new Nfsv3WriteResponse(0, new Nfsv3WriteResOk(wcc, count, w.stable, this.writeVerf)));
      }
      case 21:
        return this.nfs(21, new Nfsv3CommitResponse(0, new Nfsv3CommitResOk(wcc, this.commitVerf)));
      default:
        throw new Error(`fake server: procedure ${call.proc}`);
    }
  }
}

let server: FakeNfsServer;
afterEach(async () => {
  setNfsDriverTuning({});
  await endStarted(server);
});

async function open(): Promise<BlockBackend> {
  server = new FakeNfsServer();
  await server.listen();
  setNfsDriverTuning({ timeoutMs: 5000 });
  return BlockBackend.open(`nfs://127.0.0.1:${server.port}/export/disk.img`, { format: 'nfs' });
}

describe('nfs protocol edge cases', () => {
  test('a short write is EIO', async () => {
    const blk = await open();
    server.shortWrites = true;
    const err = await blk.pwrite(0, new Uint8Array(8192).fill(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlockError);
    expect((err as BlockError).errno).toBe(5);
    await blk.close().catch(() => {});
  });

  test('a COMMIT with another verifier makes flush resend the acknowledged writes FILE_SYNC', async () => {
    const blk = await open();
    const data = new Uint8Array(300_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    await blk.pwrite(4096, data);
    const unstable = server.writes.length;
    expect(unstable).toBe(Math.ceil(data.length / 65536));
    expect(server.writes.every((w) => w.stable === 0)).toBe(true);
    // The "server restarted": its COMMIT verifier is not the one the writes got, and it lost the data.
    server.commitVerf = new Uint8Array([2, 2, 2, 2, 2, 2, 2, 2]);
    server.file.fill(0);
    await blk.flush();
    const resent = server.writes.slice(unstable);
    expect(resent.length).toBe(unstable);
    expect(resent.every((w) => w.stable === 2)).toBe(true);
    expect(Buffer.from(server.file.subarray(4096, 4096 + data.length)).equals(Buffer.from(data))).toBe(true);
    const bs = blk.bs as NfsBlockDriverState;
    expect(bs.file.stats.verifierChanges).toBe(1);
    expect(bs.file.pendingCommitBytes).toBe(0);
    // Nothing is left to commit: the next flush sends nothing.
    const before = server.writes.length;
    await blk.flush();
    expect(server.writes.length).toBe(before);
    await blk.close();
  });

  test('up to 64 calls in flight, never more', async () => {
    const blk = await open();
    server.holdUntil = 64;
    // 8 MiB in 64 KiB READs: 128 calls, at most 64 outstanding.
    await blk.pread(0, 8 * MiB);
    expect(server.maxOutstanding).toBe(64);
    await blk.close();
  });
});
