/**
 * The event loop layer (QEMU's AioContext): contexts, bottom halves, timers,
 * event notifiers, fd handlers over streams, aio_poll and AIO_WAIT_WHILE, and
 * the coroutine glue (aio_co_schedule / enter / wake, qemu_co_sleep_ns).
 */
export {
  AioAttachmentKey,
  AioContext,
  aioBhNew,
  aioBhScheduleOneshot,
  aioContextNew,
  aioNotify,
  aioPoll,
  aioSetEventNotifier,
  aioSetFdHandler,
  aioTimerNew,
  getCurrentAioContext,
  getMainAioContext,
  isMainAioContext,
  pollingAioContext,
  qemuBhNew,
  timerNewMs,
  timerNewNs,
  type AioContextOptions,
} from './aio-context.js';
export { AIO_CO_SCHEDULER, aioCoEnter, aioCoRescheduleSelf, aioCoSchedule, aioCoWake, coSleepNs, coSleepNsWakeable } from './aio-co.js';
export { aioCoWakeFromCallback, coAwait, coWaitFor, type NodeCallback } from './co-wait.js';
export { aioWaitWhile, aioWaitWhileUnlocked } from './aio-wait.js';
export { QEMUBH, type QEMUBHFunc } from './bh.js';
export {
  QEMUClockType,
  QEMU_CLOCK_HOST,
  QEMU_CLOCK_MAX,
  QEMU_CLOCK_REALTIME,
  QEMU_CLOCK_VIRTUAL,
  QEMU_CLOCK_VIRTUAL_RT,
  SCALE_MS,
  SCALE_NS,
  SCALE_US,
  qemuClockGetMs,
  qemuClockGetNs,
  qemuClockGetUs,
} from './clock.js';
export { AioContextDestroyedError, AioError, AioWaitDeadlockError, AioWaitInCoroutineError, BhLeakedError } from './errors.js';
export { EventNotifier, eventNotifierSetShared, type EventNotifierHandler, type EventNotifierPoll, type SharedEventNotifier } from './event-notifier.js';
export { AioFdHandler, type AioFd, type IOHandler } from './fd-handler.js';
export { aioNativeWaitServer } from './native-wait.js';
export { QEMUTimer, TimerList, type QEMUTimerCB } from './timer.js';
export { threadWakeWord, wakeThread } from './wake.js';
export { remoteBhNew, remoteCoEnter, remoteSignal, type RemoteEndpoint, type RemoteHandle } from './remote.js';
