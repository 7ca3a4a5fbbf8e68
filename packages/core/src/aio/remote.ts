/**
 * Remote handles: how another thread (a worker, an emulated device) schedules a
 * BH or enters a coroutine in a context of this thread, the way QEMU code calls
 * qemu_bh_schedule or aio_co_enter from any thread. A worker cannot touch this
 * thread's objects, so it gets a handle — a MessagePort and this thread's wake
 * word — and signals by posting on the port, then bumping and notifying the word.
 * The signal protocol is three lines (see `remoteSignal`), so a worker need not
 * load @qco/core to use it. While a handle is open its context counts as able to
 * make progress, so AIO_WAIT_WHILE waits for it instead of reporting a deadlock.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Coroutine } from '../coroutine.js';
import type { AioContext } from './aio-context.js';
import { aioCoSchedule } from './aio-co.js';
import { openRemoteSource, threadWakeWord, wakeThread } from './wake.js';

/** What a worker gets (transfer `port` in the postMessage transfer list). */
export interface RemoteHandle {
  readonly port: MessagePort;
  readonly wake: Int32Array;
}

/** The owning side of a remote handle. */
export interface RemoteEndpoint {
  /** Give this to the other thread. */
  readonly handle: RemoteHandle;
  /** Stop listening (the context no longer waits for this handle). */
  close(): void;
}

function endpoint(ctx: AioContext, onSignal: (msg: unknown) => void): RemoteEndpoint {
  const { port, stop } = openRemoteSource(onSignal);
  ctx.externalRef();
  let open = true;
  return {
    handle: { port, wake: threadWakeWord },
    close(): void {
      if (!open) return;
      open = false;
      stop();
      ctx.externalUnref();
    },
  };
}

/** A handle through which another thread runs `cb(opaque, message)` as a BH of `ctx` (qemu_bh_schedule from any thread). */
export function remoteBhNew<T>(ctx: AioContext, cb: (opaque: T, message: unknown) => void, opaque: T): RemoteEndpoint {
  return endpoint(ctx, (msg) => ctx.bhScheduleOneshot<T>(((o: T) => cb(o, msg)), opaque, 'remote_bh'));
}

/** A one-shot handle through which another thread does aio_co_enter(ctx, co): it is scheduled into `ctx`. */
export function remoteCoEnter(ctx: AioContext, co: Coroutine): RemoteEndpoint {
  const ep: RemoteEndpoint = endpoint(ctx, () => {
    ep.close();
    aioCoSchedule(ctx, co);
  });
  return ep;
}

/** Signal a remote handle (callable from any thread; this is the whole protocol). */
export function remoteSignal(h: RemoteHandle, message: unknown = 0): void {
  h.port.postMessage(message);
  wakeThread(h.wake);
}
