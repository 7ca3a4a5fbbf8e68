/**
 * READ replies received in place: the record reader hands a READ reply's data
 * straight to the caller's buffer (ReadInPlace finds it from the reply's first
 * bytes), however the stream is split, with the socket's reads lent into the
 * buffer; every other shape — an error status, lying lengths, a reply nobody
 * asked for in place — is assembled and decoded as before. Replies are encoded
 * with json-pack's own RPC and NFSv3 encoders, not ours.
 */
import { Reader } from '@jsonjoy.com/buffers/lib/Reader.js';
import { Nfsv3Encoder, Nfsv3Fattr, Nfsv3PostOpAttr, Nfsv3ReadResFail, Nfsv3ReadResOk, Nfsv3ReadResponse, Nfsv3SpecData, Nfsv3Time } from '@jsonjoy.com/json-pack/lib/nfs/v3/index.js';
import { RpcMessageEncoder, RpcOpaqueAuth } from '@jsonjoy.com/json-pack/lib/rpc/index.js';
import { describe, expect, it } from 'vitest';
import { Nfs3ProcNo } from '../src/drivers/nfs/constants.js';
import { ReadInPlace } from '../src/drivers/nfs/nfs3/read-in-place.js';
import { RecordReader, type DirectPayload } from '../src/drivers/nfs/rpc/record-marking.js';
import { seededRandom } from '@qco/test-utils';

const t = new Nfsv3Time(1, 2);
const attr = new Nfsv3Fattr(1, 0o644, 1, 0, 0, 1n << 20n, 0n, new Nfsv3SpecData(0, 0), 1n, 2n, t, t, t);

function readReply(xid: number, data: Uint8Array, opts: { attrs?: boolean; status?: number; eof?: boolean; count?: number; verf?: Uint8Array } = {}): Uint8Array {
  const post = new Nfsv3PostOpAttr(opts.attrs ?? true, (opts.attrs ?? true) ? attr : undefined);
  const res =
    (opts.status ?? 0) === 0
      ? new Nfsv3ReadResponse(0, new Nfsv3ReadResOk(post, opts.count ?? data.length, opts.eof ?? false, data))
      : new Nfsv3ReadResponse(opts.status as never, undefined, new Nfsv3ReadResFail(post));
  const results = new Nfsv3Encoder().encodeMessage(res, Nfs3ProcNo.READ, false).slice();
  const verf = new RpcOpaqueAuth(0, new Reader(opts.verf ?? new Uint8Array(0)));
  const body = new RpcMessageEncoder().encodeAcceptedReply(xid, verf, 0, undefined, results).slice();
  const rec = new Uint8Array(4 + body.length);
  new DataView(rec.buffer).setUint32(0, 0x80000000 + body.length);
  rec.set(body, 4);
  return rec;
}

function pattern(n: number, seed: number): Uint8Array {
  const rnd = seededRandom(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
}

/** A reader whose locate serves one ReadInPlace for `xid`, recording what completed in place. */
function readerFor(xid: number, read: ReadInPlace): { rr: RecordReader; inPlace: number[] } {
  const rr = new RecordReader(8 << 20);
  const inPlace: number[] = [];
  rr.locate = (prefix, len): DirectPayload | null => {
    const x = new DataView(prefix.buffer, prefix.byteOffset).getUint32(0);
    if (x !== xid) return null;
    const at = read.locate(prefix, len);
    return at === null ? null : { sink: read.sink.subarray(0, at.length), start: at.start, done: () => inPlace.push(x) };
  };
  return { rr, inPlace };
}

describe('READ replies received in place', () => {
  it('puts the data of a READ reply into the sink, with and without attributes, any split of the stream, odd lengths padded', () => {
    const rnd = seededRandom(21);
    for (const [n, attrs] of [[65536, true], [65536 + 3, false], [300000, true], [4097, false]] as const) {
      const data = pattern(n, n);
      const stream = new Uint8Array([...readReply(7, data, { attrs, eof: n % 2 === 1 }), ...readReply(8, data.subarray(0, 100))]);
      const read = new ReadInPlace(new Uint8Array(n + 10).fill(0xee));
      const { rr, inPlace } = readerFor(7, read);
      const records: Uint8Array[] = [];
      for (let off = 0; off < stream.length; ) {
        const take = 1 + Math.floor(rnd() * 9000);
        rr.push(stream.subarray(off, off + take), records);
        off += take;
      }
      expect(inPlace).toEqual([7]);
      expect(read.count).toBe(n);
      expect(read.eof).toBe(n % 2 === 1);
      expect(Buffer.from(read.sink.subarray(0, n)).equals(Buffer.from(data))).toBe(true);
      expect(read.sink.subarray(n).every((b) => b === 0xee)).toBe(true);
      // The small second reply (not asked for in place) is assembled as a record.
      expect(records).toHaveLength(1);
    }
  });

  it('lets the socket read the rest of the payload straight into the sink', () => {
    const data = pattern(200000, 3);
    const rec = readReply(9, data);
    const read = new ReadInPlace(new Uint8Array(data.length));
    const { rr, inPlace } = readerFor(9, read);
    expect(rr.lend()).toBeNull(); // nothing known yet
    rr.push(rec.subarray(0, 1000));
    const lent = rr.lend();
    expect(lent).not.toBeNull();
    const start = rec.length - data.length; // where the data begins in the stream
    const l = lent as Uint8Array;
    expect(l.length).toBe(data.length - (1000 - start));
    // The "socket" fills part of the lent buffer, then the rest arrives through the reader.
    l.set(rec.subarray(1000, 1000 + 50000));
    expect(rr.isLent(l)).toBe(true);
    rr.receivedLent(50000);
    rr.push(rec.subarray(51000));
    expect(inPlace).toEqual([9]);
    expect(Buffer.from(read.sink).equals(Buffer.from(data))).toBe(true);
  });

  it('assembles an error reply, a reply with lying lengths and one larger than the sink, for the ordinary decode', () => {
    const data = pattern(8192, 5);
    const cases = [
      readReply(1, data, { status: 5 /* NFS3ERR_IO */ }),
      readReply(1, data, { count: 8000 }), // count ≠ data length
      readReply(1, pattern(9000, 6)), // more than asked
      readReply(1, data, { verf: new Uint8Array(300) }), // verifier longer than the prefix holds
    ];
    for (const rec of cases) {
      const read = new ReadInPlace(new Uint8Array(8192));
      const { rr, inPlace } = readerFor(1, read);
      const out = rr.push(rec);
      expect(inPlace).toEqual([]);
      expect(out).toHaveLength(1);
      expect(Buffer.from(out[0]).equals(Buffer.from(rec.subarray(4)))).toBe(true);
    }
  });

  it('a cancelled in-place read writes nothing more into the sink, and the stream goes on', () => {
    const data = pattern(100000, 8);
    const rec = readReply(4, data);
    const read = new ReadInPlace(new Uint8Array(data.length));
    const { rr, inPlace } = readerFor(4, read);
    rr.push(rec.subarray(0, 30000));
    expect(rr.cancel(read.sink)).toBe(false); // nothing lent: no need to drop the connection
    read.sink.fill(0);
    const out = rr.push(new Uint8Array([...rec.subarray(30000), ...readReply(5, data.subarray(0, 10))]));
    expect(read.sink.every((b) => b === 0)).toBe(true);
    expect(inPlace).toEqual([]);
    expect(out).toHaveLength(1);
  });
});
