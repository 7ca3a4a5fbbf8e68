/**
 * A pool of parallel sub-requests (QEMU's aio_task_pool): a request larger
 * than one mapping is split into tasks, each run in its own coroutine, at
 * most `max` at once; the request waits for all and fails with the first
 * error.
 */
import { CoQueue, coroutineCreate, coroutineEnter, type Co } from '@qco/core';

function* runTask(t: { pool: TaskPool; fn: () => Co }): Co {
  yield* t.pool.run(t.fn);
}

/** QEMU's QCOW2_MAX_WORKERS. */
export const QCOW2_MAX_WORKERS = 8;

/** Runs coroutine_fn tasks in parallel, bounded. */
export class TaskPool {
  private active = 0;
  private error: unknown;
  private failed = false;
  private readonly changed = new CoQueue();

  constructor(private readonly max = QCOW2_MAX_WORKERS) {}

  /** Whether a task has failed (callers stop starting new ones). */
  get hasFailed(): boolean {
    return this.failed;
  }

  /** aio_task_pool_start_task: wait for a free slot, then start `fn` in a new coroutine. */
  *start(fn: () => Co): Co {
    while (this.active >= this.max) yield* this.changed.wait();
    this.active++;
    coroutineEnter(coroutineCreate(runTask, { pool: this, fn }));
  }

  /** @internal The body of one task's coroutine. */
  *run(fn: () => Co): Co {
    try {
      yield* fn();
    } catch (err) {
      if (!this.failed) {
        this.failed = true;
        this.error = err;
      }
    } finally {
      this.active--;
      this.changed.restartAll();
    }
  }

  /** aio_task_pool_wait_all: wait for every task; throw the first error. */
  *waitAll(): Co {
    while (this.active > 0) yield* this.changed.wait();
    if (this.failed) throw this.error;
  }
}
