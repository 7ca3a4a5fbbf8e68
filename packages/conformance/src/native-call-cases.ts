/**
 * The nativeCall cases every stackful backend shares (native-ucontext and
 * sigaltstack through @qco/native-common's suite, asyncify from its own test):
 * each backend's native function table has the C function a case calls.
 */
import { coroutineYield, nativeCall, setNativeWaitServer, type NativeWaitServer } from '@qco/core';
import { expect, it } from 'vitest';
import { runToEnd } from './run-to-end.js';

/**
 * Register /native-call/wait-in-a-c-coroutine: `nested_wait(32, 4)` waits four
 * times on an fd from a C coroutine 32 C calls deep inside the call, and each
 * wait suspends the whole call (one yield of the JavaScript coroutine). The wait
 * server the backend's other cases use is put back with `restore()` afterwards.
 */
export function nativeWaitInCCoroutineCase(restore: () => NativeWaitServer | undefined): void {
  it('/native-call/wait-in-a-c-coroutine: a wait 32 calls deep in a C coroutine of the call suspends the whole call', () => {
    let waits = 0;
    setNativeWaitServer({
      *waitFd(fd) {
        waits++;
        yield coroutineYield();
        return fd === -1 ? 0 : -1;
      },
      *sleepNs() {
        return -1;
      },
    });
    try {
      const r = runToEnd(() => nativeCall('nested_wait', [32, 4]));
      expect(r.yields).toBe(4);
      expect(waits).toBe(4);
      expect(r.value).toBe((32 * 33) / 2);
    } finally {
      setNativeWaitServer(restore());
    }
  });
}
