/**
 * C bodies on stackful backends. A backend's NativeRuntime starts and resumes C
 * functions on native contexts; this drives one from a JavaScript coroutine, so
 * each native yield becomes a yield of the calling coroutine and each native wait
 * (an fd, a timer, a CoMutex) is served by the same machinery TypeScript code uses.
 * The loop lives here once, so every stackful backend has the same surface.
 */
import type { NativeArg, NativeFunctionSource, NativeRequest } from './backend.js';
import { aioNativeWaitServer, type NativeWaitServer } from './aio/native-wait.js';
import { coroutineYield, currentBackend, holdNative, type Co } from './coroutine.js';
import { CoroutineError } from './errors.js';
import { CoMutex } from './locks/co-mutex.js';

let waitServer: NativeWaitServer | undefined;
const mutexes = new Map<number, CoMutex>();

/** Serve native fd and timer waits with `server` instead of the AioContext layer (undefined: back to it). */
export function setNativeWaitServer(server: NativeWaitServer | undefined): void {
  waitServer = server;
}

/** The CoMutex a native mutex id stands for (created on first use). */
export function nativeMutex(id: number): CoMutex {
  let m = mutexes.get(id);
  if (m === undefined) mutexes.set(id, (m = new CoMutex()));
  return m;
}

function* serve(req: NativeRequest): Co<number> {
  switch (req.kind) {
    case 'yield':
      yield coroutineYield();
      return 0;
    case 'lock':
      yield* nativeMutex(req.mutex).lock();
      return 0;
    case 'unlock':
      nativeMutex(req.mutex).unlock();
      return 0;
    case 'fd':
      return yield* (waitServer ?? aioNativeWaitServer).waitFd(req.fd, req.events);
    case 'sleep':
      return yield* (waitServer ?? aioNativeWaitServer).sleepNs(req.ns);
  }
}

/**
 * Make a consumer's own C functions runnable with nativeCall: the same C files
 * (qco.h, registered with qco_register_function in QCO_MAIN) built as a Node
 * addon for the native backends and with `qco-asyncify-build` for asyncify; the
 * selected backend loads the one it runs.
 */
export function useNativeFunctions(source: NativeFunctionSource): void {
  const backend = currentBackend();
  const rt = backend.native;
  if (rt === undefined) {
    throw new CoroutineError(`The "${backend.name}" backend has no native side; C bodies need a stackful backend (native-ucontext, sigaltstack, asyncify)`);
  }
  if (rt.loadFunctions === undefined) throw new CoroutineError(`The "${backend.name}" backend cannot load C functions of its user`);
  rt.loadFunctions(source);
}

/**
 * Run the C function `name` of the selected backend's native side, as a
 * coroutine_fn: `const r = yield* nativeCall('count_lines', [fd])`. Arguments are
 * numbers or Uint8Arrays (the C function may read and write the bytes until it returns).
 */
export function* nativeCall(name: string, args: readonly NativeArg[] = []): Co<number> {
  const backend = currentBackend();
  const rt = backend.native;
  if (rt === undefined) {
    throw new CoroutineError(`The "${backend.name}" backend has no native side; C bodies need a stackful backend (native-ucontext, sigaltstack, asyncify)`);
  }
  if (!rt.functions.includes(name)) {
    throw new CoroutineError(`The "${backend.name}" backend has no native function "${name}"; it has: ${rt.functions.join(', ')}`);
  }
  const handle = rt.start(name, args);
  // Held on the coroutine, so the call is cancelled if the coroutine is dropped or deleted.
  const { hold, forget } = holdNative(rt, handle);
  let input = 0;
  try {
    for (;;) {
      const step = rt.resume(handle, input);
      if (step.done) {
        hold.done = true;
        return step.value;
      }
      input = yield* serve(step.request);
    }
  } finally {
    if (!hold.done) rt.cancel(handle);
    forget();
  }
}
