/**
 * Event notifiers (QEMU's EventNotifier, an eventfd): a flag in a
 * SharedArrayBuffer that any thread may set. Setting it on this thread wakes the
 * registered context through libuv; another thread gets a `share()` handle (the
 * flag, the owning thread's wake word and a MessagePort) and calls
 * `eventNotifierSetShared(handle)`, which both wakes a blocking aio_poll
 * (Atomics.notify) and reaches an idle libuv loop (a message on the port).
 */
import type { MessagePort } from 'node:worker_threads';
import { openRemoteSource, threadWakeWord, wakeThread } from './wake.js';

/** A handler for a ready event notifier (EventNotifierHandler). */
export type EventNotifierHandler = (e: EventNotifier) => void;

/** QEMU's io_poll for a notifier: true when its handler has work although the notifier may not be set yet. */
export type EventNotifierPoll = () => boolean;

/** What a notifier must reach of the context it is registered in. */
export interface NotifierOwner {
  /** @internal A registered notifier was set: make the loop look. */
  notifierSet(): void;
}

/** What another thread needs to set a notifier: transfer `port` in the postMessage transfer list. */
export interface SharedEventNotifier {
  readonly flag: Int32Array;
  readonly wake: Int32Array;
  readonly port: MessagePort;
}

/** An event notifier. `new EventNotifier()` is event_notifier_init(e, false). */
export class EventNotifier {
  /** The flag (0 clear, 1 set) in shared memory. */
  readonly flag: Int32Array = new Int32Array(new SharedArrayBuffer(4));
  /** @internal The context it is registered in, if any. */
  owner: NotifierOwner | null = null;
  private readonly stops: (() => void)[] = [];

  /** event_notifier_init: `active` starts it set. */
  constructor(active = false) {
    if (active) Atomics.store(this.flag, 0, 1);
  }

  /** event_notifier_set: make it ready; its handler runs at the next poll. */
  set(): void {
    Atomics.store(this.flag, 0, 1);
    this.owner?.notifierSet();
  }

  /** event_notifier_test_and_clear: clear it; true when it was set. */
  testAndClear(): boolean {
    return Atomics.exchange(this.flag, 0, 0) !== 0;
  }

  /** Whether it is set (without clearing). */
  get isSet(): boolean {
    return Atomics.load(this.flag, 0) !== 0;
  }

  /** A handle another thread can set it through (see `eventNotifierSetShared`). */
  share(): SharedEventNotifier {
    const { port, stop } = openRemoteSource(() => this.owner?.notifierSet());
    this.stops.push(stop);
    return { flag: this.flag, wake: threadWakeWord, port };
  }

  /** event_notifier_cleanup: stop listening to shared handles. */
  cleanup(): void {
    for (const stop of this.stops.splice(0)) stop();
  }
}

/** event_notifier_set from another thread, through a handle made by `share()`. */
export function eventNotifierSetShared(h: SharedEventNotifier): void {
  Atomics.store(h.flag, 0, 1);
  h.port.postMessage(0);
  wakeThread(h.wake);
}
