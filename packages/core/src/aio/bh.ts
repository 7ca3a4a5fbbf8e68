/**
 * Bottom halves (QEMU's QEMUBH, util/async.c): a callback queued to run at the
 * next poll of its AioContext. The context keeps scheduled BHs on a list, newest
 * first; a poll takes the whole list as one slice and runs it, so a BH scheduled
 * from a BH callback lands on the fresh list and runs at the next poll, and a
 * nested poll (a callback that polls) continues the outer slices first, as QEMU
 * does. Flags rather than list surgery implement cancel and delete: a cancelled BH
 * stays queued but does not run; a deleted one is dropped when its turn comes.
 */

/** A BH callback (QEMUBHFunc). */
export type QEMUBHFunc<T = unknown> = (opaque: T) => void;

/** What a BH must reach of its context. */
export interface BhOwner {
  /** @internal Put `bh` on the scheduled list (if not already there) and wake the loop. */
  bhEnqueue(bh: QEMUBH): void;
}

/** A bottom half. Create with `aioBhNew(ctx, cb, opaque)`. */
export class QEMUBH<T = unknown> {
  /** @internal On a list or slice of its context (QEMU's BH_PENDING). */
  pending = false;
  /** @internal Will run when its turn comes (BH_SCHEDULED). */
  scheduled = false;
  /** @internal Scheduled as idle: runs but does not count as progress (BH_IDLE). */
  idle = false;
  /** @internal Deleted while queued: dropped instead of run (BH_DELETED). */
  deleted = false;
  /** @internal Deleted after running once (BH_ONESHOT). */
  oneshot = false;
  /** @internal Next BH on the list or slice. */
  next: QEMUBH | null = null;

  /** @internal */
  constructor(
    readonly ctx: BhOwner,
    readonly cb: QEMUBHFunc<T>,
    readonly opaque: T,
    readonly name: string,
  ) {}

  /** qemu_bh_schedule: run at the next poll of its context. */
  schedule(): void {
    if (this.deleted) return;
    this.scheduled = true;
    this.idle = false;
    this.ctx.bhEnqueue(this as QEMUBH);
  }

  /** qemu_bh_schedule_idle: run at a later poll (within about 10 ms), not counted as progress. */
  scheduleIdle(): void {
    if (this.deleted) return;
    if (!this.scheduled) this.idle = true;
    this.scheduled = true;
    this.ctx.bhEnqueue(this as QEMUBH);
  }

  /** qemu_bh_cancel: do not run it at the next poll (it may still be running now). */
  cancel(): void {
    this.scheduled = false;
  }

  /** qemu_bh_delete: cancel and free it; a queued BH is dropped when its turn comes. */
  delete(): void {
    this.scheduled = false;
    this.deleted = true;
  }

  /** Whether it is scheduled to run. */
  get isScheduled(): boolean {
    return this.scheduled;
  }
}
