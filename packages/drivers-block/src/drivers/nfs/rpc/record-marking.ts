/**
 * ONC RPC record marking over TCP (RFC 5531 §11), receive side: a state machine
 * fed with whatever the socket delivers, returning the complete records. Bytes
 * are copied exactly once, from the socket's (reused) read buffer straight into
 * the record's own buffer, so a 1 MiB READ reply costs one copy however the
 * kernel splits it. A record is bounded twice, by bytes (`maxRecord`) and by
 * fragments (`maxFragments`: zero-length non-final fragments add no bytes but
 * would grow the list forever); past either bound the stream is garbage (or
 * hostile), and that is an error, never unbounded allocation or a hang.
 */
import { RpcDecodeError } from '../errors.js';

/** Largest record accepted by default: a 1 MiB READ reply plus headroom, times 16. */
export const DEFAULT_MAX_RECORD = 16 * 1024 * 1024 + 64 * 1024;
/** Most fragments one record may have by default (real servers send one, or a few per 64 KiB). */
export const DEFAULT_MAX_FRAGMENTS = 8192;

/** Incremental record-marking decoder. */
export class RecordReader {
  private readonly header = new Uint8Array(4);
  private headerHave = 0;
  private frag: Uint8Array | null = null;
  private fragHave = 0;
  private last = false;
  private readonly fragments: Uint8Array[] = [];
  private fragmentsBytes = 0;
  /** Fragments of the record being assembled, empty ones included. */
  private fragmentCount = 0;

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
      if (this.frag === null) {
        const take = Math.min(4 - this.headerHave, n - off);
        for (let i = 0; i < take; i++) this.header[this.headerHave++] = src[off + i] as number;
        off += take;
        if (this.headerHave < 4) break;
        this.headerHave = 0;
        const h = this.header;
        const word = (((h[0] as number) << 24) | ((h[1] as number) << 16) | ((h[2] as number) << 8) | (h[3] as number)) >>> 0;
        this.last = word >= 0x80000000;
        const len = word & 0x7fffffff;
        if (len + this.fragmentsBytes > this.maxRecord) {
          throw new RpcDecodeError(`RPC record of ${len + this.fragmentsBytes} bytes exceeds the limit of ${this.maxRecord}`);
        }
        if (++this.fragmentCount > this.maxFragments) {
          throw new RpcDecodeError(`RPC record of more than ${this.maxFragments} fragments exceeds the limit`);
        }
        this.frag = Buffer.allocUnsafe(len);
        this.fragHave = 0;
      } else {
        const frag = this.frag;
        const take = Math.min(frag.length - this.fragHave, n - off);
        if (take > 0) {
          frag.set(take === n && off === 0 ? src : src.subarray(off, off + take), this.fragHave);
          this.fragHave += take;
          off += take;
        }
      }
      if (this.frag !== null && this.fragHave === this.frag.length) this.endFragment(out);
    }
    // A zero-length final fragment can complete right after its header.
    if (this.frag !== null && this.fragHave === this.frag.length) this.endFragment(out);
    return out;
  }

  private endFragment(out: Uint8Array[]): void {
    const frag = this.frag as Uint8Array;
    this.frag = null;
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
    this.headerHave = 0;
    this.frag = null;
    this.fragments.length = 0;
    this.fragmentsBytes = 0;
    this.fragmentCount = 0;
  }
}
