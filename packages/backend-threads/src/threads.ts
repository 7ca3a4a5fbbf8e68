/**
 * The threads backend's mechanism: every context is an OS thread (native/threads.cc)
 * and the isolate is handed from thread to thread under v8::Locker, so exactly one
 * runs JavaScript at a time. A switch with Enter wakes the target thread, which
 * runs the entry's step() on its own stack; control comes back as Yield or
 * Terminate, or as the body's exception, rethrown here on the entering thread. A
 * plain body's coroutineYield() is a switch with Yield from inside step(): the
 * thread blocks there until entered again, which is what lets plain functions
 * yield from any call depth.
 */
import {
  BACKEND_SPECIFICATION_VERSION,
  BackendNotAvailableError,
  type BackendContext,
  type CoroutineAction,
  type CoroutineBackend,
  type CoroutineEntry,
} from '@qco/backend-api';
import { addonFailure, loadAddon, type ThreadsAddon } from './internal/addon.js';

/** Options of the threads backend. */
export interface ThreadsBackendOptions {
  /** Stack size of each coroutine thread, in KiB (default 256, or QCO_THREADS_STACK_KB). */
  readonly stackKiB?: number;
  /**
   * Most times a waiting thread polls its mailbox before sleeping in the kernel
   * (default 4000; 0 never polls). The budget adapts below this: it shrinks while
   * polls fail (a busy machine, where polling only delays the thread waited for)
   * and grows back while they succeed (an idle one, where a futex sleep and wake
   * costs far more than the hand-off itself).
   */
  readonly spin?: number;
  /** How many idle threads the backend keeps for reuse beyond the core's pool (default 1024). */
  readonly idleThreads?: number;
}

/** A context of this backend: the id of its thread in the addon. */
export interface ThreadContext extends BackendContext {
  readonly backend: 'threads';
  readonly id: number;
}

/** The threads backend, with its thread statistics. */
export interface ThreadsBackend extends CoroutineBackend {
  /** Live contexts, threads alive, idle threads and threads created so far. */
  threadStats(): { live: number; threads: number; idle: number; threadsCreated: number; stackSize: number };
}

function fromEnv(name: string): number | undefined {
  const v = process.env[name];
  return v === undefined || v === '' || Number.isNaN(Number(v)) ? undefined : Number(v);
}

/** Create the threads backend; throws BackendNotAvailableError when its addon is not built. */
export function createThreadsBackend(options: ThreadsBackendOptions = {}): ThreadsBackend {
  const addon: ThreadsAddon | null = loadAddon();
  if (addon === null) throw new BackendNotAvailableError('threads', undefined, addonFailure() ?? 'addon not built');
  // Hand-offs release the isolate with v8::Unlocker, which needs a Locker held by
  // this thread (Node's main thread and workers hold one; an embedder may not).
  if (!addon.isLocked()) throw new BackendNotAvailableError('threads', undefined, 'this thread does not hold a v8::Locker on its isolate');
  addon.configure(
    options.stackKiB ?? fromEnv('QCO_THREADS_STACK_KB') ?? 256,
    options.spin ?? fromEnv('QCO_THREADS_SPIN') ?? 4000,
    options.idleThreads ?? 1024,
  );
  const leader: ThreadContext = Object.freeze({ backend: 'threads', id: addon.leader });
  const native = addon;
  return {
    specificationVersion: BACKEND_SPECIFICATION_VERSION,
    name: 'threads',
    bodyKinds: ['generator', 'plain'],
    new(entry: CoroutineEntry): BackendContext {
      const ctx: ThreadContext = { backend: 'threads', id: native.newContext(entry) };
      return ctx;
    },
    switch(from: BackendContext, to: BackendContext, action: CoroutineAction): CoroutineAction {
      return native.switchTo((from as ThreadContext).id, (to as ThreadContext).id, action);
    },
    delete(ctx: BackendContext): void {
      native.deleteContext((ctx as ThreadContext).id);
    },
    leader(): BackendContext {
      return leader;
    },
    threadStats() {
      return native.stats();
    },
  };
}
