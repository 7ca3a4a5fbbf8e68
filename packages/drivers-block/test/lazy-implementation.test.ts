/**
 * A driver implementation loaded at first use: the Promise face imports it,
 * the synchronous face (which cannot wait for an import) refuses with a clear
 * error instead of polling forever, and a provided module serves both.
 */
import { coroutineRun } from '@qco/core';
import { describe, expect, it } from 'vitest';
import { BlockError, Errno, runSync } from '../src/index.js';
import { LazyImplementation } from '../src/drivers/lazy-implementation.js';

describe('LazyImplementation', () => {
  it('imports the module at the first get, once', async () => {
    let loads = 0;
    const lazy = new LazyImplementation('demo', () => {
      loads++;
      return Promise.resolve({ answer: 42 });
    });
    expect(loads).toBe(0);
    const a = await coroutineRun(() => lazy.get());
    const b = await coroutineRun(() => lazy.get());
    expect(a.answer).toBe(42);
    expect(b).toBe(a);
    expect(loads).toBe(1);
  });

  it('refuses in the synchronous face when the module was not provided', () => {
    let loads = 0;
    const lazy = new LazyImplementation('demo', () => {
      loads++;
      return Promise.resolve({ answer: 42 });
    });
    let caught: unknown;
    try {
      runSync(() => lazy.get());
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(BlockError);
    expect((caught as BlockError).errno).toBe(Errno.ENOTSUP);
    expect((caught as Error).message).toBe("The demo driver is not loaded; open it through the Promise face, or import @qco/drivers-block's face, which loads it");
    expect(loads).toBe(0);
  });

  it('serves a provided module to the synchronous face without importing', () => {
    const lazy = new LazyImplementation<{ answer: number }>('demo', () => Promise.reject(new Error('must not import')));
    const mod = { answer: 7 };
    lazy.provide(mod);
    expect(runSync(() => lazy.get())).toBe(mod);
  });
});
