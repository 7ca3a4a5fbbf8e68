/**
 * The NativeRuntime of the native backends: C functions of the addon started on
 * a pooled native context and resumed step by step by the core's nativeCall. A
 * yield's request comes back as a small integer plus a shared Float64Array
 * (kind, a, b, result), turned here into the NativeStep the core expects.
 */
import type { NativeRequest, NativeRuntime, NativeStep } from '@qco/backend-api';
import type { NativeAddon } from './addon.js';
import { REQ_DONE, REQ_FD, REQ_LOCK, REQ_SLEEP, REQ_UNLOCK, REQ_YIELD } from './protocol.js';

const YIELD_STEP: NativeStep = Object.freeze({ done: false, request: Object.freeze({ kind: 'yield' }) });

/** Build the NativeRuntime over a loaded addon. */
export function createNativeRuntime(addon: NativeAddon): NativeRuntime {
  const info = new Float64Array(4);
  addon.setStepInfo(info);
  const functions = Object.freeze(addon.functions());
  const index = new Map(functions.map((f, i) => [f, i]));
  return {
    functions,
    start(fn: string, args: readonly number[]): number {
      const i = index.get(fn);
      if (i === undefined) throw new RangeError(`No native function "${fn}"; there are: ${functions.join(', ')}`);
      return addon.start(i, args);
    },
    resume(handle: number, input: number): NativeStep {
      const kind = addon.resume(handle, input);
      if (kind === REQ_DONE) return { done: true, value: info[3] as number };
      if (kind === REQ_YIELD) return YIELD_STEP;
      const a = info[1] as number;
      let request: NativeRequest;
      switch (kind) {
        case REQ_FD:
          request = { kind: 'fd', fd: a, events: info[2] === 2 ? 'write' : 'read' };
          break;
        case REQ_SLEEP:
          request = { kind: 'sleep', ns: a };
          break;
        case REQ_LOCK:
          request = { kind: 'lock', mutex: a };
          break;
        case REQ_UNLOCK:
          request = { kind: 'unlock', mutex: a };
          break;
        default:
          throw new Error(`native runtime: unknown request kind ${kind}`);
      }
      return { done: false, request };
    },
    cancel(handle: number): void {
      addon.cancel(handle);
    },
  };
}
