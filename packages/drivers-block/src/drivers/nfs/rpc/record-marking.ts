/**
 * ONC RPC record marking over TCP (RFC 5531 §11), receive side: a state machine
 * fed with whatever the socket delivers, returning the complete records. Bytes
 * are copied at most once, from the socket's (reused) read buffer into the
 * record's own buffer. A record whose bulk payload has a known destination (an
 * NFS READ reply: `locate` recognises it from its first bytes) is not
 * assembled at all: its payload goes straight into the caller's buffer, which
 * the socket may even read into directly (`lend`), as libnfs reads into the
 * caller's iovec. A record is bounded twice, by bytes (`maxRecord`) and by
 * fragments (`maxFragments`: zero-length non-final fragments add no bytes but
 * would grow the list forever); past either bound the stream is garbage (or
 * hostile), and that is an error, never unbounded allocation or a hang.
 */
import { RpcDecodeError } from '../errors.js';

/** Largest record accepted by default: a 1 MiB READ reply plus headroom, times 16. */
export const DEFAULT_MAX_RECORD = 16 * 1024 * 1024 + 64 * 1024;
/** Most fragments one record may have by default (real servers send one, or a few per 64 KiB). */
export const DEFAULT_MAX_FRAGMENTS = 8192;
/** Bytes of a record shown to `locate`: an RPC reply header and a READ3resok header fit with room. */
export const DIRECT_PREFIX = 256;
/** Records shorter than this are always assembled (nothing to gain). */
const DIRECT_MIN = 4096;
/** The socket reads straight into a payload only when at least this much of it is left. */
const LEND_MIN = 16 * 1024;

/** Where a record's payload goes instead of into an assembled record. */
export interface DirectPayload {
  /** The payload's destination, exactly its length. */
  readonly sink: Uint8Array;
  /** Where in the record the payload starts (within the prefix `locate` saw). */
  readonly start: number;
  /** Called once the whole record has arrived (the sink then holds the payload). */
  done(): void;
}

/** Given a record's first bytes (up to DIRECT_PREFIX) and its length: its payload's place, or null to assemble it. */
export type DirectLocator = (prefix: Uint8Array, recordLength: number) => DirectPayload | null;

const HEADER = 0;
const FRAGMENT = 1;
const PREFIX = 2;
const DIRECT = 3;

/** Incremental record-marking decoder. */
export class RecordReader {
  /** Recognises records whose payload skips assembly; null: assemble every record. */
  locate: DirectLocator | null = null;
  private phase = HEADER;
  private readonly header = new Uint8Array(4);
  private headerHave = 0;
  private frag: Uint8Array | null = null;
  private fragHave = 0;
  private last = false;
  private readonly fragments: Uint8Array[] = [];
  private fragmentsBytes = 0;
  /** Fragments of the record being assembled, empty ones included. */
  private fragmentCount = 0;
  // A single-fragment record seen through `locate`, then received in place.
  private readonly prefix = new Uint8Array(DIRECT_PREFIX);
  private prefixHave = 0;
  private prefixWant = 0;
  private recordLen = 0;
  private recordHave = 0;
  private direct: DirectPayload | null = null;
  /** The payload's destination; null once cancelled (the rest of the record is discarded). */
  private sink: Uint8Array | null = null;
  /** The part of the sink handed to the socket for its next read, if any. */
  private lent: Uint8Array | null = null;

  constructor(
    readonly maxRecord: number = DEFAULT_MAX_RECORD,
    readonly maxFragments: number = DEFAULT_MAX_FRAGMENTS,
  ) {}

  /**
   * Feed `src` (which may be reused by the caller afterwards) and return the
   * records it completed, in order. Throws RpcDecodeError on an oversized fragment.
   */
  push(src: Uint8Array, out: Uint8Array[] = []): Uint8Array[] {
    let off = 0;
    const n = src.length;
    while (off < n) {
      if (this.phase === HEADER) {
        const take = Math.min(4 - this.headerHave, n - off);
        for (let i = 0; i < take; i++) this.header[this.headerHave++] = src[off + i];
        off += take;
        if (this.headerHave < 4) break;
        this.startFragment();
      } else if (this.phase === PREFIX) {
        const take = Math.min(this.prefixWant - this.prefixHave, n - off);
        this.prefix.set(src.subarray(off, off + take), this.prefixHave);
        this.prefixHave += take;
        off += take;
        if (this.prefixHave === this.prefixWant) this.endPrefix();
      } else if (this.phase === DIRECT) {
        const take = Math.min(this.recordLen - this.recordHave, n - off);
        this.directBytes(src, off, take);
        off += take;
      } else {
        const frag = this.frag as Uint8Array;
        const take = Math.min(frag.length - this.fragHave, n - off);
        if (take > 0) {
          frag.set(take === n && off === 0 ? src : src.subarray(off, off + take), this.fragHave);
          this.fragHave += take;
          off += take;
        }
      }
      this.completeIfDone(out);
    }
    // A zero-length final fragment can complete right after its header.
    this.completeIfDone(out);
    return out;
  }

  /**
   * The buffer the socket should read into next: the rest of a payload being
   * received in place when enough of it is left, else null (the caller's own).
   */
  lend(): Uint8Array | null {
    this.lent = null;
    const d = this.direct;
    if (this.phase !== DIRECT || d === null || this.sink === null) return null;
    const at = this.recordHave - d.start;
    if (at < 0 || this.sink.length - at < LEND_MIN) return null;
    this.lent = this.sink.subarray(at);
    return this.lent;
  }

  /** Whether `buf` is the buffer `lend` handed out last. */
  isLent(buf: Uint8Array): boolean {
    return this.lent !== null && buf === this.lent;
  }

  /** The socket read `n` bytes into the lent buffer. */
  receivedLent(n: number): void {
    const lent = this.lent;
    this.lent = null;
    if (lent === null || n > lent.length) throw new RpcDecodeError('RPC receive into a buffer that was not lent');
    this.recordHave += n;
    if (this.recordHave === this.recordLen) this.endDirect();
  }

  /**
   * Stop writing into `sink` (its call has failed; the caller may reuse it).
   * Returns true when the socket still holds part of it for its next read:
   * then only dropping the connection keeps the bytes out.
   */
  cancel(sink: Uint8Array): boolean {
    const d = this.direct;
    if (d === null || d.sink.buffer !== sink.buffer || d.sink.byteOffset !== sink.byteOffset) return false;
    this.sink = null;
    return this.lent !== null;
  }

  private startFragment(): void {
    this.headerHave = 0;
    const h = this.header;
    const word = (((h[0]) << 24) | ((h[1]) << 16) | ((h[2]) << 8) | (h[3])) >>> 0;
    this.last = word >= 0x80000000;
    const len = word & 0x7fffffff;
    if (len + this.fragmentsBytes > this.maxRecord) {
      throw new RpcDecodeError(`RPC record of ${len + this.fragmentsBytes} bytes exceeds the limit of ${this.maxRecord}`);
    }
    if (++this.fragmentCount > this.maxFragments) {
      throw new RpcDecodeError(`RPC record of more than ${this.maxFragments} fragments exceeds the limit`);
    }
    if (this.locate !== null && this.last && this.fragmentCount === 1 && len >= DIRECT_MIN) {
      this.phase = PREFIX;
      this.recordLen = len;
      this.prefixHave = 0;
      this.prefixWant = Math.min(len, DIRECT_PREFIX);
      return;
    }
    this.phase = FRAGMENT;
    this.frag = Buffer.allocUnsafe(len);
    this.fragHave = 0;
  }

  /** The prefix is in: receive the record in place if `locate` knows it, else assemble it as usual. */
  private endPrefix(): void {
    const p = this.prefix.subarray(0, this.prefixWant);
    let d: DirectPayload | null = null;
    try {
      d = (this.locate as DirectLocator)(p, this.recordLen);
    } catch {
      d = null; // not ours to judge here: the assembled record gets the normal decode and its errors
    }
    if (d !== null && d.start >= 0 && d.start <= p.length && d.start + d.sink.length <= this.recordLen) {
      this.phase = DIRECT;
      this.direct = d;
      this.sink = d.sink;
      this.recordHave = 0;
      this.directBytes(p, 0, p.length);
      return;
    }
    this.phase = FRAGMENT;
    const frag = Buffer.allocUnsafe(this.recordLen);
    frag.set(p);
    this.frag = frag;
    this.fragHave = p.length;
  }

  /** Record bytes [recordHave, recordHave + take) from `src[off…]`: the payload's part to the sink, the rest dropped. */
  private directBytes(src: Uint8Array, off: number, take: number): void {
    const d = this.direct as DirectPayload;
    const sink = this.sink;
    if (sink !== null) {
      const from = Math.max(this.recordHave, d.start);
      const to = Math.min(this.recordHave + take, d.start + sink.length);
      if (to > from) sink.set(src.subarray(off + from - this.recordHave, off + to - this.recordHave), from - d.start);
    }
    this.recordHave += take;
  }

  private completeIfDone(out: Uint8Array[]): void {
    if (this.phase === FRAGMENT && this.fragHave === (this.frag as Uint8Array).length) this.endFragment(out);
    else if (this.phase === DIRECT && this.recordHave === this.recordLen) this.endDirect();
  }

  private endDirect(): void {
    const d = this.direct as DirectPayload;
    const received = this.sink !== null;
    this.phase = HEADER;
    this.direct = null;
    this.sink = null;
    this.lent = null;
    this.fragmentCount = 0;
    if (received) d.done();
  }

  private endFragment(out: Uint8Array[]): void {
    const frag = this.frag as Uint8Array;
    this.frag = null;
    this.phase = HEADER;
    if (!this.last) {
      if (frag.length > 0) this.fragments.push(frag);
      this.fragmentsBytes += frag.length;
      return;
    }
    this.fragmentCount = 0;
    if (this.fragments.length === 0) {
      out.push(frag);
      return;
    }
    this.fragments.push(frag);
    out.push(Buffer.concat(this.fragments));
    this.fragments.length = 0;
    this.fragmentsBytes = 0;
  }

  /** Drop any partial record (after the connection was lost). */
  reset(): void {
    this.phase = HEADER;
    this.headerHave = 0;
    this.frag = null;
    this.fragments.length = 0;
    this.fragmentsBytes = 0;
    this.fragmentCount = 0;
    this.direct = null;
    this.sink = null;
    this.lent = null;
  }
}
