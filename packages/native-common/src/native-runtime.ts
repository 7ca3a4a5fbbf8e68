/**
 * The NativeRuntime of the native backends: C functions of the addon started on
 * a pooled native context and resumed step by step by the core's nativeCall. A
 * yield's request comes back as a small integer plus a shared Float64Array
 * (kind, a, b, result), turned here into the NativeStep the core expects.
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import type { NativeArg, NativeFunctionSource, NativeRequest, NativeRuntime, NativeStep } from '@qco/backend-api';
import type { NativeAddon } from './addon.js';
import { REQ_DONE, REQ_FD, REQ_LOCK, REQ_SLEEP, REQ_UNLOCK, REQ_YIELD } from './protocol.js';

const YIELD_STEP: NativeStep = Object.freeze({ done: false, request: Object.freeze({ kind: 'yield' }) });

/** Build the NativeRuntime over a loaded addon. */
export function createNativeRuntime(addon: NativeAddon): NativeRuntime {
  const info = new Float64Array(4);
  addon.setStepInfo(info);
  let functions: readonly string[] = [];
  let index = new Map<string, number>();
  const refresh = (): void => {
    functions = Object.freeze(addon.functions());
    index = new Map(functions.map((f, i) => [f, i]));
  };
  refresh();
  const loaded = new Set<string>();
  return {
    get functions(): readonly string[] {
      return functions;
    },
    start(fn: string, args: readonly NativeArg[]): number {
      const i = index.get(fn);
      if (i === undefined) throw new RangeError(`No native function "${fn}"; there are: ${functions.join(', ')}`);
      try {
        return addon.start(i, args);
      } catch (err) {
        // Each suspended C call owns a stack mapping plus a guard page: the kernel's
        // vm.max_map_count (65,530 by default) bounds them at about 32,000 at once.
        if (err instanceof Error && /cannot allocate a coroutine stack/.test(err.message)) {
          const live = addon.stats().live;
          throw new Error(
            `${err.message}: ${live} native calls are suspended, each holding a stack mapping and a guard page (the limit is about vm.max_map_count / 2; generator bodies take none)`,
            { cause: err },
          );
        }
        throw err;
      }
    },
    loadFunctions(source: NativeFunctionSource): void {
      if (source.addon === undefined) throw new TypeError('this backend runs C functions from a Node addon: give useNativeFunctions({ addon: <path of the .node> })');
      const file = resolve(source.addon);
      if (loaded.has(file)) return;
      const consumer = createRequire(file)(file) as { qcoRegister?: (table: unknown) => void };
      if (typeof consumer.qcoRegister !== 'function') throw new TypeError(`${file} is not a qco addon: it has no qcoRegister (build it with QCO_MAIN from qco.h)`);
      consumer.qcoRegister(addon.apiTable());
      loaded.add(file);
      refresh();
    },
    resume(handle: number, input: number): NativeStep {
      const kind = addon.resume(handle, input);
      if (kind === REQ_DONE) return { done: true, value: info[3] };
      if (kind === REQ_YIELD) return YIELD_STEP;
      const a = info[1];
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
