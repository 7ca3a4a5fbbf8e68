// Misusing the backend's own API (as opposed to the core's) gives errors, never a
// crash or a corrupted context; the backend keeps working afterwards.
import { CoroutineAction } from '@qco/backend-api';
import { describe, expect, it } from 'vitest';
import { AsyncifyStackOverflowError, createAsyncifyBackend } from '../src/index.js';

describe('misuse of the asyncify backend', () => {
  it('a generator body gets no wasm context: its switch is one step, only ever an Enter', () => {
    const b = createAsyncifyBackend();
    expect(b.stepsOnCallerStack).toBe(true);
    const bytes = b.internals.memoryBytes();
    let steps = 0;
    const ctxs = Array.from({ length: 1000 }, () => b.new({ bodyKind: 'generator', step: () => (++steps % 3 === 0 ? CoroutineAction.Terminate : CoroutineAction.Yield) }));
    const ctx = ctxs[0];
    expect(() => b.switch(b.leader(), b.leader(), CoroutineAction.Enter)).toThrow(/can only be entered/);
    expect(() => b.switch(ctx, b.leader(), CoroutineAction.Yield)).toThrow(/can only be entered/);
    expect(b.switch(b.leader(), ctx, CoroutineAction.Enter)).toBe(CoroutineAction.Yield);
    expect(b.switch(b.leader(), ctx, CoroutineAction.Enter)).toBe(CoroutineAction.Yield);
    expect(b.switch(b.leader(), ctx, CoroutineAction.Enter)).toBe(CoroutineAction.Terminate);
    for (const c of ctxs) b.delete(c);
    b.delete(ctx);
    b.delete(b.leader());
    expect(b.internals.liveContexts()).toBe(0);
    expect(b.internals.memoryBytes()).toBe(bytes);
  });

  it('a JavaScript step that throws leaves its context reusable', () => {
    const b = createAsyncifyBackend();
    let mode: 'throw' | 'ok' = 'throw';
    const ctx = b.new({
      bodyKind: 'generator',
      step: () => {
        if (mode === 'throw') throw new SyntaxError('from the step');
        return CoroutineAction.Terminate;
      },
    });
    expect(() => b.switch(b.leader(), ctx, CoroutineAction.Enter)).toThrow(SyntaxError);
    mode = 'ok';
    expect(b.switch(b.leader(), ctx, CoroutineAction.Enter)).toBe(CoroutineAction.Terminate);
  });

  it('refuses bad native calls and dead or released handles', () => {
    const b = createAsyncifyBackend();
    expect(() => b.native.start('nope', [])).toThrow(/no native function "nope"/);
    expect(() => b.native.start('add', [1, 2, 3, 4, 5, 6, 7, 8, 9])).toThrow(/at most 8 arguments/);
    expect(() => b.native.resume(12345, 0)).toThrow(/not live/);
    const dead = b.native.start('stack_overflow', [500]);
    expect(() => b.native.resume(dead, 0)).toThrow(AsyncifyStackOverflowError);
    expect(() => b.native.resume(dead, 0)).toThrow(/has died/);
    b.native.cancel(dead);
    b.native.cancel(dead);
    const h = b.native.start('add', [2, 3]);
    expect(b.native.resume(h, 0)).toEqual({ done: true, value: 5 });
    expect(() => b.native.resume(h, 0)).toThrow(/not live/);
    b.native.cancel(h);
  });
});
