/**
 * The test-coroutine cases only plain bodies can express: yielding from inside
 * nested plain calls and from deep recursion, runCoroutineFn, mixing plain and
 * generator coroutines. Registered by the test-coroutine suite with `bodies: 'plain'`.
 */
import { UnsupportedBodyError, coroutineCreate, coroutineEnter, coroutineIsTerminated, coroutineYield, runCoroutineFn, type Co } from '@qco/core';
import { expect, it } from 'vitest';

/** Blocking yield for plain bodies (coroutineYield's return value is only for `yield*`). */
function block(): void {
  coroutineYield();
}

/** Register the plain-only cases in the current describe block; `stress` runs inside suspended bodies. */
export function plainOnlyCases(stress: () => void): void {
  it('/plain/yield-from-nested-calls', () => {
    const trace: string[] = [];
    const leaf = (tag: string): number => {
      trace.push(`${tag}:before`);
      block();
      stress();
      trace.push(`${tag}:after`);
      return tag.length;
    };
    const middle = (tag: string): number => leaf(`${tag}.m`) + leaf(`${tag}.n`);
    const outer = (): number => [middle('a'), middle('b')].reduce((x, y) => x + y, 0);
    let result = 0;
    const co = coroutineCreate(() => {
      result = outer();
    });
    let entries = 0;
    while (!coroutineIsTerminated(co)) {
      coroutineEnter(co);
      entries++;
    }
    expect(entries).toBe(5);
    expect(result).toBe(12);
    expect(trace).toEqual([
      'a.m:before',
      'a.m:after',
      'a.n:before',
      'a.n:after',
      'b.m:before',
      'b.m:after',
      'b.n:before',
      'b.n:after',
    ]);
  });

  it('/plain/yield-from-recursion', () => {
    // Every level keeps locals live across the yield at the bottom.
    const descend = (depth: number, acc: number[]): number => {
      const here = { depth, tag: `level-${depth}` };
      if (depth === 0) {
        block();
        stress();
        block();
        return 0;
      }
      acc.push(depth);
      const below = descend(depth - 1, acc);
      return below + here.depth + (here.tag === `level-${depth}` ? 0 : 1e9);
    };
    let sum = -1;
    const co = coroutineCreate(() => {
      sum = descend(200, []);
    });
    coroutineEnter(co);
    coroutineEnter(co);
    expect(sum).toBe(-1);
    coroutineEnter(co);
    expect(sum).toBe((200 * 201) / 2);
    expect(coroutineIsTerminated(co)).toBe(true);
  });

  it('/plain/run-coroutine-fn', () => {
    function* waitTwice(tag: string): Co<string> {
      yield* coroutineYield();
      yield* coroutineYield();
      return `${tag}!`;
    }
    let got = '';
    const co = coroutineCreate(() => {
      got = runCoroutineFn(waitTwice('fn'));
    });
    coroutineEnter(co);
    coroutineEnter(co);
    expect(got).toBe('');
    coroutineEnter(co);
    expect(got).toBe('fn!');
    expect(() => runCoroutineFn(waitTwice('outside'))).toThrow(/plain coroutine bodies/);
  });

  it('/plain/mixed-with-generator-bodies', () => {
    const trace: string[] = [];
    const gen = coroutineCreate(function* () {
      trace.push('gen:1');
      yield* coroutineYield();
      trace.push('gen:2');
    });
    const plain = coroutineCreate(() => {
      trace.push('plain:1');
      coroutineEnter(gen);
      block();
      trace.push('plain:2');
      coroutineEnter(gen);
    });
    const outerGen = coroutineCreate(function* () {
      coroutineEnter(plain);
      yield* coroutineYield();
      coroutineEnter(plain);
    });
    coroutineEnter(outerGen);
    coroutineEnter(outerGen);
    expect(trace).toEqual(['plain:1', 'gen:1', 'plain:2', 'gen:2']);
    expect(coroutineIsTerminated(gen) && coroutineIsTerminated(plain) && coroutineIsTerminated(outerGen)).toBe(true);
  });

  it('/plain/generator-body-still-needs-yield-star', () => {
    // A plain body is detected at create; a generator function is not mistaken for one.
    let ran = false;
    const co = coroutineCreate(function* () {
      ran = true;
      yield* coroutineYield();
    });
    coroutineEnter(co);
    expect(ran).toBe(true);
    expect(coroutineIsTerminated(co)).toBe(false);
    coroutineEnter(co);
    expect(coroutineIsTerminated(co)).toBe(true);
    expect(UnsupportedBodyError).toBeTypeOf('function');
  });
}
