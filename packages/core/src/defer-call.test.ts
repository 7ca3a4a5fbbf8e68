import { describe, expect, it } from 'vitest';
import { deferCall, deferCallBegin, deferCallEnd, deferCallState, withDeferCall } from './defer-call.js';

describe('defer-call', () => {
  it('runs at once outside a section', () => {
    const log: number[] = [];
    deferCall((n: number) => log.push(n), 1);
    expect(log).toEqual([1]);
  });

  it('N calls with the same (fn, opaque) in a section become one doorbell write', () => {
    let doorbellWrites = 0;
    const queue = { tail: 0 };
    const ringDoorbell = (q: typeof queue): void => {
      doorbellWrites++;
      expect(q.tail).toBe(64);
    };
    deferCallBegin();
    for (let i = 0; i < 64; i++) {
      queue.tail++;
      deferCall(ringDoorbell, queue);
    }
    expect(doorbellWrites).toBe(0);
    deferCallEnd();
    expect(doorbellWrites).toBe(1);
  });

  it('deduplicates by (fn, opaque) and keeps insertion order; nested sections run at the outermost end', () => {
    const log: string[] = [];
    const a = (s: string): void => {
      log.push(`a:${s}`);
    };
    const b = (s: string): void => {
      log.push(`b:${s}`);
    };
    deferCallBegin();
    deferCall(b, 'x');
    deferCallBegin();
    deferCall(a, 'x');
    deferCall(b, 'x');
    deferCall(a, 'y');
    deferCallEnd();
    expect(log).toEqual([]);
    deferCall(a, 'x');
    deferCallEnd();
    expect(log).toEqual(['b:x', 'a:x', 'a:y']);
    expect(deferCallState()).toEqual({ nesting: 0, pending: 0 });
  });

  it('a throwing call does not stop the others; end without begin is refused', () => {
    const log: string[] = [];
    expect(() =>
      withDeferCall(() => {
        deferCall(() => {
          throw new Error('boom');
        }, null);
        deferCall((s: string) => log.push(s), 'after');
      }),
    ).toThrow('boom');
    expect(log).toEqual(['after']);
    expect(() => deferCallEnd()).toThrow(/without a matching/);
  });

  it('deduplicates past the scanned first entries too, and a section opened by a deferred call runs its own calls', () => {
    const log: number[] = [];
    const rec = (n: number): void => {
      log.push(n);
    };
    deferCallBegin();
    for (let round = 0; round < 3; round++) for (let n = 0; n < 40; n++) deferCall(rec, n);
    expect(deferCallState()).toEqual({ nesting: 1, pending: 40 });
    deferCallEnd();
    expect(log).toEqual(Array.from({ length: 40 }, (_, n) => n));
    log.length = 0;
    const inner = (n: number): void => {
      withDeferCall(() => {
        deferCall(rec, n * 10);
        deferCall(rec, n * 10);
        deferCall(rec, n * 10 + 1);
      });
    };
    withDeferCall(() => {
      deferCall(inner, 1);
      deferCall(inner, 2);
      deferCall(inner, 1);
    });
    expect(log).toEqual([10, 11, 20, 21]);
    expect(deferCallState()).toEqual({ nesting: 0, pending: 0 });
  });
});
