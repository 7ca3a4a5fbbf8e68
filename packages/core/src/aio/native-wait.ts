/**
 * Serves the waits of C bodies on stackful backends (native-call.ts): a native
 * sleep is qemu_co_sleep_ns on the realtime clock; a native fd wait cannot be a
 * real poll(2) from JavaScript, so it returns after a short back-off sleep and
 * the C side retries its non-blocking read or write (it must treat EAGAIN as
 * "wait again"). Both yield the calling coroutine, so the event loop keeps running.
 */
import type { Co } from '../coroutine.js';
import { coSleepNs } from './aio-co.js';
import { QEMU_CLOCK_REALTIME } from './clock.js';

/** Serves the waits that need the event loop (fd readiness, timers); the AioContext layer's by default. */
export interface NativeWaitServer {
  waitFd(fd: number, events: 'read' | 'write'): Co<number>;
  sleepNs(ns: number): Co<number>;
}

/** Back-off of a native fd wait, in ns. */
const FD_WAIT_NS = 1_000_000;

/** The NativeWaitServer of the event loop layer, the default one (native-call.ts). */
export const aioNativeWaitServer: NativeWaitServer = {
  *waitFd(_fd: number, _events: 'read' | 'write'): Co<number> {
    yield* coSleepNs(QEMU_CLOCK_REALTIME, FD_WAIT_NS);
    return 0;
  },
  *sleepNs(ns: number): Co<number> {
    yield* coSleepNs(QEMU_CLOCK_REALTIME, ns);
    return 0;
  },
};
