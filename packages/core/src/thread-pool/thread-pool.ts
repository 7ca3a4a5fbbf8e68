/**
 * The thread pool (QEMU's util/thread-pool.c) on worker_threads. Work functions
 * are exports of modules a worker can import (absolute path, file: or data: URL,
 * or a package name), called with one structured-cloned argument (share memory
 * through SharedArrayBuffer; pass `transfer` for ArrayBuffers to move). Requests
 * queue FIFO; up to 64 workers start on demand and one that stays idle for 10 s
 * exits. A worker is ref'd only while it runs a request, so an idle pool never
 * keeps the process alive. Completions come back to the submitting AioContext as
 * a BH (through libuv, or through the wake word when a blocking aio_poll waits).
 * Cancelling succeeds only for requests still queued: they complete with
 * -ECANCELED; running ones finish normally.
 */
import { pathToFileURL } from 'node:url';
import type { Transferable, Worker } from 'node:worker_threads';
import { coroutineSelf, coroutineYield, inCoroutine, type Co, type Coroutine } from '../coroutine.js';
import { Errno } from '../errno.js';
import { CoroutineError } from '../errors.js';
import { AioAttachmentKey, getCurrentAioContext, type AioContext } from '../aio/aio-context.js';
import { aioCoWake } from '../aio/aio-co.js';
import { aioWaitWhile } from '../aio/aio-wait.js';
import { addRemoteSource, threadWakeWord } from '../aio/wake.js';
import { THREAD_POOL_WORKER_SOURCE } from './worker-source.js';

/** errno ECANCELED: a cancelled request completes with -ECANCELED. */
export const ECANCELED = Errno.ECANCELED;
/** errno EINPROGRESS: a request's result until it completes. */
export const EINPROGRESS = Errno.EINPROGRESS;
/** errno EIO: what a work function that threw reports when it gave no errno. */
export const EIO = Errno.EIO;
/** QEMU's default maximum of worker threads per pool. */
export const THREAD_POOL_MAX_THREADS = 64;
/** Idle workers exit after this many ms (QEMU: 10 s). */
export const THREAD_POOL_IDLE_MS = 10_000;

/** A work function (QEMU's ThreadPoolFunc): the export `name` of `module`, run in a worker. */
export interface ThreadPoolFunc {
  /** Absolute path, file: or data: URL, or a package name resolvable from the process's working directory. */
  readonly module: string | URL;
  /** Export name; it receives the argument and returns (or resolves to) a number (ret) or a cloneable value. */
  readonly name: string;
}

/** A completion callback (BlockCompletionFunc): runs as a BH in the submitting context. */
export type ThreadPoolCompletionFunc<T = unknown> = (opaque: T, ret: number) => void;

/** Where a request is (QEMU's ThreadPoolElement state). */
export type ThreadPoolRequestState = 'queued' | 'active' | 'done';

/** A submitted request (QEMU's BlockAIOCB of thread_pool_submit_aio). */
export class ThreadPoolRequest {
  /** Where it is now. */
  state: ThreadPoolRequestState = 'queued';
  /** Its result: -EINPROGRESS until done, then the function's return value or -errno. */
  ret = -EINPROGRESS;
  /** A non-number result of the work function. */
  value: unknown = undefined;
  /** The error text when the work function threw. */
  error: string | undefined = undefined;
  /** Whether the completion callback has run. */
  completed = false;

  /** @internal */
  constructor(
    readonly pool: ThreadPool,
    /** @internal */ readonly id: number,
    /** @internal */ readonly message: { id: number; module: string; name: string; arg: unknown },
    /** @internal */ readonly transfer: readonly Transferable[],
    /** @internal */ readonly cb: ThreadPoolCompletionFunc | null,
    /** @internal */ readonly opaque: unknown,
  ) {}

  /** bdrv_aio_cancel_async: cancel if still queued (it then completes with -ECANCELED); never waits. */
  cancelAsync(): void {
    this.pool.cancelAsync(this);
  }

  /** bdrv_aio_cancel: cancel if still queued, then wait (polling the context) until its callback ran. */
  cancel(): void {
    this.pool.cancel(this);
  }
}

interface PoolWorker {
  readonly worker: Worker;
  busy: ThreadPoolRequest | null;
  /** performance.now() when it last became idle. */
  idleSince: number;
  stop: () => void;
}

/** Options of a thread pool. */
export interface ThreadPoolOptions {
  /** Maximum workers (default 64). */
  readonly maxThreads?: number;
  /** Idle time before a worker exits, ms (default 10 000). */
  readonly idleMs?: number;
}

function moduleSpecifier(m: string | URL): string {
  if (m instanceof URL) return m.href;
  if (m.startsWith('/')) return pathToFileURL(m).href;
  return m;
}

/** A pool of worker threads serving one AioContext (QEMU's ThreadPool). */
export class ThreadPool {
  private readonly queue: ThreadPoolRequest[] = [];
  private readonly workers = new Set<PoolWorker>();
  private readonly idle: PoolWorker[] = [];
  private nextId = 1;
  /** One unref'd timer retires idle workers (cheaper than a timer per completion). */
  private sweeper: ReturnType<typeof setTimeout> | null = null;
  private maxThreads: number;
  private readonly idleMs: number;

  constructor(
    /** The context completions are delivered in. */
    readonly ctx: AioContext,
    options: ThreadPoolOptions = {},
  ) {
    this.maxThreads = Math.max(1, options.maxThreads ?? THREAD_POOL_MAX_THREADS);
    this.idleMs = options.idleMs ?? THREAD_POOL_IDLE_MS;
  }

  /** thread_pool_update_params: change the maximum number of workers (1..64 is QEMU's range; more is allowed). */
  setMaxThreads(max: number): void {
    this.maxThreads = Math.max(1, max | 0);
    this.dispatch();
  }

  /** Worker and queue counters, for tests and benchmarks. */
  stats(): { workers: number; idle: number; queued: number; maxThreads: number } {
    return { workers: this.workers.size, idle: this.idle.length, queued: this.queue.length, maxThreads: this.maxThreads };
  }

  /**
   * thread_pool_submit_aio: run `fn(arg)` in a worker; `cb(opaque, ret)` then runs
   * as a BH in this pool's context. `transfer` lists ArrayBuffers / ports to move.
   */
  submitAio<T>(fn: ThreadPoolFunc, arg: unknown, cb: ThreadPoolCompletionFunc<T> | null, opaque?: T, transfer: readonly Transferable[] = []): ThreadPoolRequest {
    const id = this.nextId++;
    const req = new ThreadPoolRequest(
      this,
      id,
      { id, module: moduleSpecifier(fn.module), name: fn.name, arg },
      transfer,
      cb as ThreadPoolCompletionFunc | null,
      opaque,
    );
    this.ctx.externalRef();
    this.queue.push(req);
    this.dispatch();
    return req;
  }

  /** thread_pool_submit: run `fn(arg)` in a worker without a completion callback. */
  submit(fn: ThreadPoolFunc, arg: unknown, transfer: readonly Transferable[] = []): ThreadPoolRequest {
    return this.submitAio(fn, arg, null, undefined, transfer);
  }

  /** thread_pool_submit_co: run `fn(arg)` in a worker and yield until it is done; returns ret. */
  *submitCo(fn: ThreadPoolFunc, arg: unknown, transfer: readonly Transferable[] = []): Co<number> {
    if (!inCoroutine()) throw new CoroutineError('thread_pool_submit_co must be called from a coroutine');
    const self = coroutineSelf();
    const req = this.submitAio(fn, arg, (co: Coroutine) => aioCoWake(co), self, transfer);
    yield coroutineYield();
    return req.ret;
  }

  /** Cancel `req` if it is still queued (see ThreadPoolRequest.cancelAsync). */
  cancelAsync(req: ThreadPoolRequest): void {
    if (req.state !== 'queued') return;
    const i = this.queue.indexOf(req);
    if (i >= 0) this.queue.splice(i, 1);
    this.complete(req, -ECANCELED, undefined, undefined);
  }

  /** Cancel `req` if still queued and wait until its completion callback ran. */
  cancel(req: ThreadPoolRequest): void {
    this.cancelAsync(req);
    aioWaitWhile(this.ctx, () => !req.completed);
  }

  /** Stop every worker now (requests still queued or running never complete). */
  destroy(): void {
    if (this.sweeper !== null) clearTimeout(this.sweeper);
    this.sweeper = null;
    for (const w of [...this.workers]) this.retire(w);
    for (let n = this.queue.splice(0).length; n > 0; n--) this.ctx.externalUnref();
  }

  private complete(req: ThreadPoolRequest, ret: number, value: unknown, error: string | undefined): void {
    req.state = 'done';
    req.ret = ret;
    req.value = value;
    req.error = error;
    this.ctx.bhScheduleOneshot(
      (r: ThreadPoolRequest) => {
        r.completed = true;
        this.ctx.externalUnref();
        if (r.cb) r.cb(r.opaque, r.ret);
      },
      req,
      'thread_pool_completion_bh',
    );
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let w = this.idle.pop();
      if (w === undefined) {
        if (this.workers.size >= this.maxThreads) return;
        w = this.spawn();
      }
      this.run(w, this.queue.shift() as ThreadPoolRequest);
    }
  }

  private run(w: PoolWorker, req: ThreadPoolRequest): void {
    w.busy = req;
    req.state = 'active';
    w.worker.ref();
    w.worker.postMessage(req.message, req.transfer as Transferable[]);
  }

  private spawn(): PoolWorker {
    // node:worker_threads loads with the first worker, not with the core.
    const { MessageChannel, Worker } = process.getBuiltinModule('node:worker_threads');
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(THREAD_POOL_WORKER_SOURCE, {
      eval: true,
      workerData: { port: port2, wake: threadWakeWord },
      transferList: [port2],
    });
    const w: PoolWorker = { worker, busy: null, idleSince: 0, stop: () => {} };
    w.stop = addRemoteSource(port1, (msg) => this.onDone(w, msg as { id: number; ret: number; value: unknown; error?: string }));
    worker.on('error', (err) => this.onWorkerGone(w, `thread pool worker failed: ${String(err)}`));
    worker.on('exit', () => this.onWorkerGone(w, 'thread pool worker exited'));
    this.workers.add(w);
    return w;
  }

  private onDone(w: PoolWorker, msg: { id: number; ret: number; value: unknown; error?: string }): void {
    const req = w.busy;
    if (req === null || req.id !== msg.id) return;
    w.busy = null;
    this.complete(req, msg.ret, msg.value, msg.error);
    const next = this.queue.shift();
    if (next !== undefined) {
      this.run(w, next);
      return;
    }
    w.worker.unref();
    w.idleSince = performance.now();
    this.idle.push(w);
    if (this.sweeper === null) this.armSweeper(this.idleMs);
  }

  private armSweeper(ms: number): void {
    this.sweeper = setTimeout(this.sweep, Math.max(1, Math.ceil(ms)));
    this.sweeper.unref();
  }

  /** Retire the workers idle for idleMs or more; come back for the others. */
  private readonly sweep = (): void => {
    this.sweeper = null;
    const now = performance.now();
    let next = Infinity;
    for (const w of [...this.idle]) {
      const left = w.idleSince + this.idleMs - now;
      if (left <= 0) this.retire(w);
      else next = Math.min(next, left);
    }
    if (next !== Infinity) this.armSweeper(next);
  };

  private onWorkerGone(w: PoolWorker, why: string): void {
    if (!this.workers.has(w)) return;
    this.workers.delete(w);
    const i = this.idle.indexOf(w);
    if (i >= 0) this.idle.splice(i, 1);
    w.stop();
    const req = w.busy;
    w.busy = null;
    if (req !== null) this.complete(req, -EIO, undefined, why);
    this.dispatch();
  }

  private retire(w: PoolWorker): void {
    if (!this.workers.has(w)) return;
    this.workers.delete(w);
    const i = this.idle.indexOf(w);
    if (i >= 0) this.idle.splice(i, 1);
    w.stop();
    if (w.busy !== null) this.ctx.externalUnref();
    w.busy = null;
    void w.worker.terminate();
  }
}

const POOL = new AioAttachmentKey<ThreadPool>(
  'thread-pool',
  (ctx) => new ThreadPool(ctx),
  (pool) => pool.destroy(),
);

/** aio_get_thread_pool: the context's pool (created on first use). */
export function aioGetThreadPool(ctx: AioContext = getCurrentAioContext()): ThreadPool {
  return ctx.attachment(POOL);
}

/** thread_pool_submit_aio in the current context's pool. */
export function threadPoolSubmitAio<T>(fn: ThreadPoolFunc, arg: unknown, cb: ThreadPoolCompletionFunc<T>, opaque?: T, transfer?: readonly Transferable[]): ThreadPoolRequest {
  return aioGetThreadPool().submitAio(fn, arg, cb, opaque, transfer);
}

/** thread_pool_submit in the current context's pool. */
export function threadPoolSubmit(fn: ThreadPoolFunc, arg: unknown, transfer?: readonly Transferable[]): ThreadPoolRequest {
  return aioGetThreadPool().submit(fn, arg, transfer);
}

/** thread_pool_submit_co in the current context's pool (`yield* threadPoolSubmitCo(fn, arg)`). */
export function threadPoolSubmitCo(fn: ThreadPoolFunc, arg: unknown, transfer?: readonly Transferable[]): Co<number> {
  return aioGetThreadPool().submitCo(fn, arg, transfer);
}
