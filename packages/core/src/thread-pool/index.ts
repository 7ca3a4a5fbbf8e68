/** The thread pool (QEMU's util/thread-pool.c) on worker_threads. */
export {
  ECANCELED,
  EINPROGRESS,
  EIO,
  THREAD_POOL_IDLE_MS,
  THREAD_POOL_MAX_THREADS,
  ThreadPool,
  ThreadPoolRequest,
  aioGetThreadPool,
  threadPoolSubmit,
  threadPoolSubmitAio,
  threadPoolSubmitCo,
  type ThreadPoolCompletionFunc,
  type ThreadPoolFunc,
  type ThreadPoolOptions,
  type ThreadPoolRequestState,
} from './thread-pool.js';
