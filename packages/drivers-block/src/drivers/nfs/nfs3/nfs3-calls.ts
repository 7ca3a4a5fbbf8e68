/**
 * The portmapper, MOUNT v3 and NFSv3 procedures the driver uses, as
 * coroutine_fns over an RpcClient. Arguments and results go through json-pack's
 * codecs (MountEncoder/Decoder, Nfsv3Encoder/Decoder; the portmapper's four
 * integers through its XdrEncoder/XdrDecoder). json-pack's readers do not check
 * lengths against the end of a record, so every decode here also checks that it
 * did not run past the reply — a short or lying reply is an RpcDecodeError, not
 * silently short data. READ and WRITE are split into start (send) and finish
 * (decode) so a caller can keep many in flight.
 */
import { Reader } from '@jsonjoy.com/buffers/lib/Reader.js';
import type { Writer } from '@jsonjoy.com/buffers/lib/Writer.js';
import { XdrDecoder } from '@jsonjoy.com/json-pack/lib/xdr/XdrDecoder.js';
import { XdrEncoder } from '@jsonjoy.com/json-pack/lib/xdr/XdrEncoder.js';
import { MountDecoder } from '@jsonjoy.com/json-pack/lib/nfs/v3/mount/MountDecoder.js';
import { MountEncoder } from '@jsonjoy.com/json-pack/lib/nfs/v3/mount/MountEncoder.js';
import { MountMntRequest, MountMntResponse, MountUmntRequest } from '@jsonjoy.com/json-pack/lib/nfs/v3/mount/messages.js';
// Each json-pack module by its own file: its index files re-export every codec, which a bundle would then carry whole.
import { Nfsv3Decoder } from '@jsonjoy.com/json-pack/lib/nfs/v3/Nfsv3Decoder.js';
import { Nfsv3Encoder } from '@jsonjoy.com/json-pack/lib/nfs/v3/Nfsv3Encoder.js';
import { Nfsv3CommitRequest, Nfsv3CommitResponse, Nfsv3CreateRequest, Nfsv3CreateResponse, Nfsv3FsinfoRequest, Nfsv3FsinfoResponse, Nfsv3GetattrRequest, Nfsv3GetattrResponse, Nfsv3LookupRequest, Nfsv3LookupResponse, Nfsv3ReadRequest, Nfsv3ReadResponse, Nfsv3SetattrRequest, Nfsv3SetattrResponse, Nfsv3WriteRequest, Nfsv3WriteResponse, type Nfsv3Message } from '@jsonjoy.com/json-pack/lib/nfs/v3/messages.js';
import { Nfsv3CreateHow, Nfsv3DirOpArgs, Nfsv3Fh, Nfsv3Sattr, Nfsv3SattrGuard, Nfsv3SetAtime, Nfsv3SetGid, Nfsv3SetMode, Nfsv3SetMtime, Nfsv3SetSize, Nfsv3SetUid, type Nfsv3Fattr } from '@jsonjoy.com/json-pack/lib/nfs/v3/structs.js';
import type { Co } from '@qco/core';
import {
  CreateMode,
  DONT_CHANGE,
  IPPROTO_TCP,
  MOUNT_PROGRAM,
  MOUNT_VERSION,
  MountProcNo,
  NFS_PROGRAM,
  NFS_VERSION,
  Nfs3ProcNo,
  PMAP_PROC_GETPORT,
  PMAP_PROGRAM,
  PMAP_VERSION,
} from '../constants.js';
import { MountStatusError, NfsStatusError, RpcDecodeError } from '../errors.js';
import type { RpcCall, RpcClient } from '../rpc/rpc-client.js';
import { ReadInPlace } from './read-in-place.js';

export type { Nfsv3Fattr };

const nfsDecoder = new Nfsv3Decoder();
const NO_BYTES = new Uint8Array(0);
const mountDecoder = new MountDecoder();

/** Whether a reader ran past its end (json-pack does not check). */
function overran(r: Reader): boolean {
  return r.x > r.end || r.end > r.uint8.length;
}

/** Decode an NFSv3 reply's results for `proc`; throws RpcDecodeError when malformed. */
export function decodeNfs3Results(proc: number, results: Reader): Nfsv3Message {
  let msg: Nfsv3Message | undefined;
  try {
    msg = nfsDecoder.decodeMessage(results, proc, false);
  } catch (err) {
    throw new RpcDecodeError(`Malformed NFSv3 reply: ${(err as Error).message}`, 5, { cause: err });
  }
  if (msg === undefined || overran(results)) throw new RpcDecodeError(`Truncated NFSv3 reply to procedure ${proc}`);
  return msg;
}

/** Decode a MOUNT MNT reply; throws RpcDecodeError when malformed. */
export function decodeMntResults(results: Reader): MountMntResponse {
  let msg;
  try {
    msg = mountDecoder.decodeMessage(results, MountProcNo.MNT, false);
  } catch (err) {
    throw new RpcDecodeError(`Malformed MOUNT reply: ${(err as Error).message}`, 5, { cause: err });
  }
  if (!(msg instanceof MountMntResponse) || overran(results)) throw new RpcDecodeError('Truncated MOUNT reply');
  return msg;
}

function nfsArgs(proc: number, req: Nfsv3Message): (w: Writer) => void {
  return (w) => new Nfsv3Encoder(w).writeMessage(req, proc, true);
}

// -------------------------------------------------------------------------
// Portmapper and MOUNT

/** PMAPPROC_GETPORT over TCP: the port of (prog, vers), or 0 when not registered. */
export function* pmapGetPort(client: RpcClient, prog: number, vers: number): Co<number> {
  const r = yield* client.call(
    PMAP_PROGRAM,
    PMAP_VERSION,
    PMAP_PROC_GETPORT,
    (w) => {
      const x = new XdrEncoder(w);
      x.writeUnsignedInt(prog);
      x.writeUnsignedInt(vers);
      x.writeUnsignedInt(IPPROTO_TCP);
      x.writeUnsignedInt(0);
    },
    { what: 'portmapper GETPORT' },
  );
  if (r.size() < 4) throw new RpcDecodeError('Truncated portmapper reply');
  return new XdrDecoder(r).readUnsignedInt();
}

/** MOUNTPROC3_MNT: the root file handle of export `dirpath`. */
export function* mountMnt(client: RpcClient, dirpath: string): Co<Uint8Array> {
  const r = yield* client.call(MOUNT_PROGRAM, MOUNT_VERSION, MountProcNo.MNT, (w) => new MountEncoder(w).writeMessage(new MountMntRequest(dirpath), MountProcNo.MNT, true), {
    what: 'MNT',
  });
  const res = decodeMntResults(r);
  if (res.status !== 0 || res.mountinfo === undefined) throw new MountStatusError(res.status);
  return res.mountinfo.fhandle.data.subarray().slice();
}

/** MOUNTPROC3_UMNT (best effort; the reply has no results). */
export function* mountUmnt(client: RpcClient, dirpath: string): Co {
  yield* client.call(MOUNT_PROGRAM, MOUNT_VERSION, MountProcNo.UMNT, (w) => new MountEncoder(w).writeMessage(new MountUmntRequest(dirpath), MountProcNo.UMNT, true), {
    what: 'UMNT',
  });
}

// -------------------------------------------------------------------------
// NFSv3

function* nfsCall(client: RpcClient, proc: number, req: Nfsv3Message, what: string, idempotent = true): Co<Nfsv3Message> {
  const r = yield* client.call(NFS_PROGRAM, NFS_VERSION, proc, nfsArgs(proc, req), { what, idempotent });
  return decodeNfs3Results(proc, r);
}

/** LOOKUP `name` in directory `dir`; returns the handle and the attributes when the server sent them. */
export function* nfsLookup(client: RpcClient, dir: Uint8Array, name: string, path = name): Co<{ fh: Uint8Array; attr: Nfsv3Fattr | undefined }> {
  const res = (yield* nfsCall(client, Nfs3ProcNo.LOOKUP, new Nfsv3LookupRequest(new Nfsv3DirOpArgs(new Nfsv3Fh(dir), name)), 'LOOKUP')) as Nfsv3LookupResponse;
  if (res.status !== 0 || res.resok === undefined) throw new NfsStatusError(`Lookup of ${path}`, res.status);
  return { fh: res.resok.object.data.slice(), attr: res.resok.objAttributes.attributes };
}

/** GETATTR. */
export function* nfsGetattr(client: RpcClient, fh: Uint8Array): Co<Nfsv3Fattr> {
  const res = (yield* nfsCall(client, Nfs3ProcNo.GETATTR, new Nfsv3GetattrRequest(new Nfsv3Fh(fh)), 'GETATTR')) as Nfsv3GetattrResponse;
  if (res.status !== 0 || res.resok === undefined) throw new NfsStatusError('GETATTR', res.status);
  const attr = res.resok.objAttributes;
  // Sizes index the image: one a JavaScript number cannot hold exactly is a lie, not a file.
  for (const [name, v] of [['size', attr.size], ['used', attr.used]] as const) {
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RpcDecodeError(`GETATTR reply with a file ${name} of ${v} bytes (more than 2^53 - 1)`);
  }
  return attr;
}

/** Transfer sizes from FSINFO. */
export interface NfsTransferSizes {
  /** Largest / preferred READ. */
  readonly rtmax: number;
  readonly rtpref: number;
  /** Largest / preferred WRITE. */
  readonly wtmax: number;
  readonly wtpref: number;
}

/** FSINFO: the server's transfer sizes. */
export function* nfsFsinfo(client: RpcClient, fh: Uint8Array): Co<NfsTransferSizes> {
  const res = (yield* nfsCall(client, Nfs3ProcNo.FSINFO, new Nfsv3FsinfoRequest(new Nfsv3Fh(fh)), 'FSINFO')) as Nfsv3FsinfoResponse;
  if (res.status !== 0 || res.resok === undefined) throw new NfsStatusError('FSINFO', res.status);
  const ok = res.resok;
  return { rtmax: ok.rtmax, rtpref: ok.rtpref, wtmax: ok.wtmax, wtpref: ok.wtpref };
}

function sattr(mode: number | undefined, size: bigint | undefined): Nfsv3Sattr {
  return new Nfsv3Sattr(
    new Nfsv3SetMode(mode !== undefined, mode),
    new Nfsv3SetUid(false),
    new Nfsv3SetGid(false),
    new Nfsv3SetSize(size !== undefined, size),
    new Nfsv3SetAtime(DONT_CHANGE),
    new Nfsv3SetMtime(DONT_CHANGE),
  );
}

/** SETATTR size (truncate or extend). */
export function* nfsSetSize(client: RpcClient, fh: Uint8Array, size: number): Co {
  const req = new Nfsv3SetattrRequest(new Nfsv3Fh(fh), sattr(undefined, BigInt(size)), new Nfsv3SattrGuard(false));
  const res = (yield* nfsCall(client, Nfs3ProcNo.SETATTR, req, 'SETATTR')) as Nfsv3SetattrResponse;
  if (res.status !== 0) throw new NfsStatusError('SETATTR', res.status);
}

/** CREATE (UNCHECKED: an existing file is kept) `name` in `dir` with `mode`; returns its handle. */
export function* nfsCreate(client: RpcClient, dir: Uint8Array, name: string, mode: number): Co<Uint8Array> {
  const req = new Nfsv3CreateRequest(new Nfsv3DirOpArgs(new Nfsv3Fh(dir), name), new Nfsv3CreateHow(CreateMode.UNCHECKED, sattr(mode, undefined)));
  const res = (yield* nfsCall(client, Nfs3ProcNo.CREATE, req, 'CREATE')) as Nfsv3CreateResponse;
  if (res.status !== 0 || res.resok === undefined) throw new NfsStatusError(`Create of ${name}`, res.status);
  const h = res.resok.obj;
  if (h.handleFollows && h.handle !== undefined) return h.handle.data.slice();
  return (yield* nfsLookup(client, dir, name)).fh;
}

/**
 * Send a READ; finish it with `finishRead`. With `sink` (at least `count`
 * bytes) the data is received straight into it when the reply allows.
 */
export function* startRead(client: RpcClient, fh: Uint8Array, offset: number, count: number, sink?: Uint8Array): Co<RpcCall> {
  const args = nfsArgs(Nfs3ProcNo.READ, new Nfsv3ReadRequest(new Nfsv3Fh(fh), BigInt(offset), count));
  return yield* client.start(NFS_PROGRAM, NFS_VERSION, Nfs3ProcNo.READ, args, sink === undefined ? { what: 'READ' } : { what: 'READ', direct: new ReadInPlace(sink.subarray(0, count)) });
}

/**
 * Wait for a READ and decode it: the data and eof. `inPlace` says the data
 * is already in the sink given to startRead; otherwise it is a view into the reply.
 */
export function* finishRead(client: RpcClient, call: RpcCall, count: number): Co<{ data: Uint8Array; eof: boolean; inPlace: boolean }> {
  const r = yield* client.wait(call);
  const direct = call.direct;
  if (direct instanceof ReadInPlace && direct.received) return { data: direct.sink.subarray(0, direct.count), eof: direct.eof, inPlace: true };
  const res = decodeNfs3Results(Nfs3ProcNo.READ, r) as Nfsv3ReadResponse;
  if (res.status !== 0 || res.resok === undefined) throw new NfsStatusError('READ', res.status);
  const ok = res.resok;
  if (ok.data.length !== ok.count || ok.count > count) throw new RpcDecodeError(`READ reply with ${ok.data.length} data bytes for count ${ok.count} (asked ${count})`);
  return { data: ok.data, eof: ok.eof, inPlace: false };
}

/**
 * Send a WRITE of `data`: the client sends the bytes from `data` itself, so it
 * must stay unchanged until the call is done. Finish it with `finishWrite`.
 */
export function* startWrite(client: RpcClient, fh: Uint8Array, offset: number, data: Uint8Array, stable: number): Co<RpcCall> {
  const req = new Nfsv3WriteRequest(new Nfsv3Fh(fh), BigInt(offset), data.length, stable, NO_BYTES);
  return yield* client.start(NFS_PROGRAM, NFS_VERSION, Nfs3ProcNo.WRITE, nfsArgs(Nfs3ProcNo.WRITE, req), { what: 'WRITE', sizeHint: 1024, payload: data });
}

/** Result of a WRITE: bytes written, how stable, and the server's write verifier. */
export interface WriteResult {
  readonly count: number;
  readonly committed: number;
  readonly verf: Uint8Array;
}

/** Wait for a WRITE and decode it. */
export function* finishWrite(client: RpcClient, call: RpcCall): Co<WriteResult> {
  const r = yield* client.wait(call);
  const res = decodeNfs3Results(Nfs3ProcNo.WRITE, r) as Nfsv3WriteResponse;
  if (res.status !== 0 || res.resok === undefined) throw new NfsStatusError('WRITE', res.status);
  const ok = res.resok;
  return { count: ok.count, committed: ok.committed, verf: ok.verf.slice() };
}

/** COMMIT the whole file; returns the write verifier. */
export function* nfsCommit(client: RpcClient, fh: Uint8Array): Co<Uint8Array> {
  const res = (yield* nfsCall(client, Nfs3ProcNo.COMMIT, new Nfsv3CommitRequest(new Nfsv3Fh(fh), 0n, 0), 'COMMIT')) as Nfsv3CommitResponse;
  if (res.status !== 0 || res.resok === undefined) throw new NfsStatusError('COMMIT', res.status);
  return res.resok.verf.slice();
}

export { Reader };
