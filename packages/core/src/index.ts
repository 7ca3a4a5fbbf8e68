/**
 * @qco/core — QEMU's coroutine runtime for TypeScript: the coroutine core over a
 * configure-time selected backend, coroutine locks, and (in later modules) the
 * AioContext event loop, thread pool and defer-call. QEMU's own names are in
 * `@qco/core/qemu`.
 */
export * from './backend.js';
export * from './errors.js';
export { Errno, errnoFromCode, strerror, type ErrnoValue } from './errno.js';
export {
  backendChoice,
  coroutineBackendInfo,
  coroutineCall,
  coroutineCreate,
  coroutineDelete,
  coroutineEnter,
  coroutineEnterIn,
  coroutineDescription,
  coroutineEntered,
  coroutineIsTerminated,
  coroutineScheduler,
  coroutineSelf,
  coroutineStats,
  coroutineWake,
  coroutineYield,
  currentBackend,
  inCoroutine,
  runCoroutineFn,
  setCoroutinePoolMax,
  supportsPlainBodies,
  useBackend,
  type Co,
  type Coroutine,
  type CoroutineBody,
  type CoroutineYield,
  type PlainCoroutineBody,
} from './coroutine.js';
export {
  DEFAULT_BACKEND,
  availableBackends,
  consumerPackages,
  findConsumerPackageJson,
  registerBackend,
  requestedBackend,
  type BackendChoice,
  type BackendChoiceSource,
  type BackendInfo,
  type ConsumerPackage,
  type ConsumerRule,
} from './selection.js';
export { CoQueue } from './locks/co-queue.js';
export { CoMutex } from './locks/co-mutex.js';
export { CoRwlock } from './locks/co-rwlock.js';
export { CO_SLEEP_SCHEDULER, CoSleep } from './locks/co-sleep.js';
export { makeLockable, withLock, type Lockable } from './locks/lockable.js';
export { coroutineRun } from './coroutine-run.js';
export { nativeCall, nativeMutex, setNativeWaitServer, useNativeFunctions } from './native-call.js';
export type { NativeWaitServer } from './aio/native-wait.js';
export * from './aio/index.js';
export * from './thread-pool/index.js';
export { deferCall, deferCallBegin, deferCallEnd, deferCallState, withDeferCall, type DeferCallFn } from './defer-call.js';
