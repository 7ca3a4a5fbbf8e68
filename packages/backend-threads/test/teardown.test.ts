// Teardown at the backend contract: deleting a context whose plain body is
// suspended unwinds it without running any more of its JavaScript (no code after
// the yield, no finally block) and leaves the thread reusable; misuse of the
// contract is refused with an error, never a crash.
import { CoroutineAction, coroutineCreate, coroutineEnter, coroutineIsTerminated, coroutineYield, useBackend, type BackendContext, type CoroutineEntry } from '@qco/core';
import { describe, expect, it } from 'vitest';
import { createThreadsBackend } from '../src/index.js';

describe('threads backend teardown', () => {
  const b = createThreadsBackend();
  useBackend(b);
  const leader = b.leader();

  function suspendedContext(log: string[]): BackendContext {
    const box: { ctx?: BackendContext } = {};
    const entry: CoroutineEntry = {
      bodyKind: 'plain',
      step() {
        try {
          log.push('before');
          const back = b.switch(box.ctx as BackendContext, leader, CoroutineAction.Yield);
          log.push(`after:${back}`);
        } finally {
          log.push('finally');
        }
        return CoroutineAction.Terminate;
      },
    };
    box.ctx = b.new(entry);
    expect(b.switch(leader, box.ctx, CoroutineAction.Enter)).toBe(CoroutineAction.Yield);
    return box.ctx;
  }

  it('/threads/delete-suspended-runs-no-js', () => {
    const log: string[] = [];
    const ctx = suspendedContext(log);
    const idleBefore = b.threadStats().idle;
    b.delete(ctx);
    expect(log).toEqual(['before']);
    expect(b.threadStats().idle).toBe(idleBefore + 1);
  });

  it('/threads/deleted-thread-is-reused', () => {
    const log: string[] = [];
    b.delete(suspendedContext(log));
    const created = b.threadStats().threadsCreated;
    const again: string[] = [];
    const ctx = suspendedContext(again);
    expect(b.threadStats().threadsCreated).toBe(created);
    expect(b.switch(leader, ctx, CoroutineAction.Enter)).toBe(CoroutineAction.Terminate);
    expect(again).toEqual(['before', `after:${CoroutineAction.Enter}`, 'finally']);
    b.delete(ctx);
  });

  it('/threads/delete-many-suspended', () => {
    const logs: string[][] = [];
    const ctxs = Array.from({ length: 200 }, () => {
      const log: string[] = [];
      logs.push(log);
      return suspendedContext(log);
    });
    for (const ctx of ctxs) b.delete(ctx);
    expect(logs.every((l) => l.length === 1)).toBe(true);
    // The core still works on the same threads afterwards.
    let n = 0;
    const co = coroutineCreate(() => {
      n++;
      coroutineYield();
      n++;
    });
    coroutineEnter(co);
    coroutineEnter(co);
    expect(n).toBe(2);
  });

  it('/threads/misuse-is-an-error', () => {
    const ctx = b.new({ bodyKind: 'plain', step: () => CoroutineAction.Terminate });
    expect(() => b.switch(ctx, leader, CoroutineAction.Yield)).toThrow(/not the running one/);
    expect(() => b.switch(leader, leader, CoroutineAction.Enter)).toThrow(/running context/);
    expect(() => b.switch(leader, { backend: 'threads', id: 99_999 } as BackendContext, CoroutineAction.Enter)).toThrow(/unknown context/);
    expect(() => b.switch(leader, ctx, CoroutineAction.Yield)).toThrow(/not running a plain body/);
    expect(() => b.delete(leader)).toThrow(/not live/);
    b.delete(ctx);
    expect(() => b.delete(ctx)).toThrow(/not live/);
    expect(() => b.switch(leader, ctx, CoroutineAction.Enter)).toThrow(/not a live coroutine/);
    expect(() => b.new({} as CoroutineEntry)).toThrow(/no step/);
  });

  it('/threads/body-exception-reaches-enterer-and-context-is-reused', () => {
    let count = 0;
    const entry: CoroutineEntry = {
      bodyKind: 'plain',
      step() {
        count++;
        if (count === 1) throw new SyntaxError('from the coroutine thread');
        return CoroutineAction.Terminate;
      },
    };
    const ctx = b.new(entry);
    let caught: unknown;
    try {
      b.switch(leader, ctx, CoroutineAction.Enter);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SyntaxError);
    expect((caught as Error).message).toBe('from the coroutine thread');
    expect(b.switch(leader, ctx, CoroutineAction.Enter)).toBe(CoroutineAction.Terminate);
    b.delete(ctx);
  });

  it('/threads/stack-overflow-is-a-range-error', () => {
    const deep = (n: number): number => deep(n + 1) + 1;
    const co = coroutineCreate(() => {
      deep(0);
    });
    expect(() => coroutineEnter(co)).toThrow(RangeError);
    expect(coroutineIsTerminated(co)).toBe(true);
  });
});
