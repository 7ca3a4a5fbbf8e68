/**
 * A CoroutineBackend over the shared addon, the same for both native backends.
 * A context is a native stack whose trampoline never runs JavaScript: switching
 * in (`enter`) takes it to where it asks for a step, the step runs here on Node's
 * stack, and the trampoline is switched in again with the outcome, so it can
 * yield or end. A Terminate (or a throw, which ends the body and is rethrown) is
 * delivered at once (`complete`), leaving the context reusable; a Yield is
 * delivered by the next enter (`resumeStep`: the trampoline yields, then is
 * entered for the next step), so a round trip costs one native call and four
 * real switches.
 */
import {
  BACKEND_SPECIFICATION_VERSION,
  CoroutineAction,
  type BackendContext,
  type CoroutineBackend,
  type CoroutineEntry,
} from '@qco/backend-api';
import type { NativeAddon } from './addon.js';
import { createNativeRuntime } from './native-runtime.js';
import { RUN_STEP, STEP_THREW, YIELD } from './protocol.js';

/** A context of a native backend: its id in the addon's context table. */
export interface NativeContext extends BackendContext {
  readonly id: number;
}

/** Options common to the native backends. */
export interface NativeBackendOptions {
  /** Bytes of stack per new context (default 1 MiB, or QCO_STACK_SIZE). */
  readonly stackSize?: number;
  /** Report a stack overflow into a guard page with the coroutine's id (debug mode; also QCO_STACK_CHECK=1). */
  readonly overflowCheck?: boolean;
}

/** Error thrown when a native backend is misused (never a crash). */
export class NativeBackendError extends Error {
  override readonly name = 'NativeBackendError';
}

/** Build the backend `name` over a loaded addon. */
export function createNativeBackend(name: string, addon: NativeAddon, options: NativeBackendOptions = {}): CoroutineBackend {
  if (options.stackSize !== undefined) addon.stackSize(options.stackSize);
  if (options.overflowCheck === true && !addon.enableOverflowCheck()) {
    throw new NativeBackendError(`${name}: cannot install the stack overflow handler`);
  }
  const entries: Array<CoroutineEntry | undefined> = [];
  const yieldPending: boolean[] = [];
  const leader: NativeContext = Object.freeze({ backend: name, id: -1 });
  const native = createNativeRuntime(addon);
  return {
    specificationVersion: BACKEND_SPECIFICATION_VERSION,
    name,
    bodyKinds: ['generator'],
    native,
    new(entry: CoroutineEntry): BackendContext {
      const id = addon.newContext();
      entries[id] = entry;
      const ctx: NativeContext = { backend: name, id };
      return ctx;
    },
    switch(_from: BackendContext, to: BackendContext, action: CoroutineAction): CoroutineAction {
      const id = (to as NativeContext).id;
      const entry = entries[id];
      if (action !== CoroutineAction.Enter || entry === undefined) {
        throw new NativeBackendError(`${name}: generator bodies yield by returning from their step; only Enter into a context is supported`);
      }
      // A Yield outcome is handed to the trampoline (which then yields) in the
      // same native call that enters it for the next step: four switches, one call.
      const asked = yieldPending[id] ? addon.resumeStep(id) : addon.enter(id);
      yieldPending[id] = false;
      if (asked !== RUN_STEP) throw new NativeBackendError(`${name}: context ${id} did not ask for a step`);
      let outcome: CoroutineAction;
      try {
        outcome = entry.step();
      } catch (err) {
        addon.complete(id, STEP_THREW);
        throw err;
      }
      if (outcome === CoroutineAction.Yield) {
        yieldPending[id] = true;
        return outcome;
      }
      return addon.complete(id, outcome);
    },
    delete(ctx: BackendContext): void {
      const id = (ctx as NativeContext).id;
      if (id < 0 || entries[id] === undefined) return;
      entries[id] = undefined;
      if (yieldPending[id]) {
        yieldPending[id] = false;
        addon.complete(id, YIELD);
      }
      addon.deleteContext(id);
    },
    leader(): BackendContext {
      return leader;
    },
  };
}
