/**
 * The backend contract of qco, QEMU's three context primitives as a TypeScript
 * interface (util/coroutine-*.c: qemu_coroutine_new / switch / delete). It lives
 * in its own package so that the core can depend on its default backend without
 * a dependency cycle; `@qco/core` re-exports all of it.
 */

/** Version of this contract; a backend states the one it implements and the core refuses a mismatch. */
export const BACKEND_SPECIFICATION_VERSION = 1 as const;

export { BackendNotAvailableError, CoroutineError } from './errors.js';

/** How control came back through a switch (QEMU's CoroutineAction). */
export enum CoroutineAction {
  Yield = 1,
  Terminate = 2,
  Enter = 3,
}

/** Body kinds a backend can run: generator functions everywhere, plain functions only where a context owns a real stack for JavaScript. */
export type BodyKind = 'generator' | 'plain';

/**
 * What a context runs. The core hands one to `new` and reuses it across the
 * bodies that the pooled context runs over its life (QEMU's trampoline loop).
 */
export interface CoroutineEntry {
  /** Body kind of the body now installed. */
  readonly bodyKind: BodyKind;
  /**
   * Advance the installed body. A generator body runs until its next yield
   * (returns Yield) or its end (returns Terminate). A plain body runs to its end
   * and returns Terminate; its yields happen inside, as `switch(self, caller, Yield)`.
   * Throws what the body throws; the body has then terminated.
   */
  step(): CoroutineAction;
}

/** A backend's context: opaque to the core apart from its owner's name. */
export interface BackendContext {
  readonly backend: string;
}

/** The contract every backend implements. */
export interface CoroutineBackend {
  /** Contract version implemented; must equal BACKEND_SPECIFICATION_VERSION. */
  readonly specificationVersion: typeof BACKEND_SPECIFICATION_VERSION;
  /** Registered name: 'generator' | 'native-ucontext' | 'sigaltstack' | 'asyncify' | 'threads' | … */
  readonly name: string;
  /** Body kinds this backend runs. */
  readonly bodyKinds: readonly BodyKind[];
  /**
   * True when a switch into a generator body's context is nothing but one step of
   * that body on the caller's stack (generator, and the stackful backends, whose
   * native contexts serve C functions only): the core then steps such bodies
   * itself and never calls `switch` for them.
   */
  readonly stepsOnCallerStack?: boolean;
  /** qemu_coroutine_new: a context that will run `entry` when first switched to. */
  'new'(entry: CoroutineEntry): BackendContext;
  /**
   * qemu_coroutine_switch: give control from `from` to `to`; returns the action
   * with which control came back. The core calls it with Enter to run `to` until
   * it yields or terminates (result Yield or Terminate), and — for plain bodies
   * only — with Yield from inside a running body (result Enter, once re-entered).
   */
  switch(from: BackendContext, to: BackendContext, action: CoroutineAction): CoroutineAction;
  /** qemu_coroutine_delete: release the context (its stack goes back to the backend). */
  delete(ctx: BackendContext): void;
  /** Native side, on stackful backends only. */
  readonly native?: NativeRuntime;
  /** The context standing for the calling thread when it is not in a coroutine (QEMU's per-thread leader). */
  leader(): BackendContext;
}

/** A context that is only bookkeeping: the entry it steps on the caller's stack. */
interface CallerStackContext extends BackendContext {
  readonly entry: CoroutineEntry | null;
}

/**
 * new / switch / delete / leader for generator bodies stepped on the caller's
 * stack, shared by every backend that declares `stepsOnCallerStack`.
 */
export function callerStackContexts(name: string): Pick<CoroutineBackend, 'new' | 'switch' | 'delete' | 'leader' | 'stepsOnCallerStack'> {
  const leader: CallerStackContext = Object.freeze({ backend: name, entry: null });
  return {
    stepsOnCallerStack: true,
    new(entry: CoroutineEntry): BackendContext {
      const ctx: CallerStackContext = { backend: name, entry };
      return ctx;
    },
    switch(_from: BackendContext, to: BackendContext, action: CoroutineAction): CoroutineAction {
      // Only ever an Enter: a generator body yields by returning from its step.
      const entry = (to as CallerStackContext).entry;
      if (entry === null || action !== CoroutineAction.Enter) throw new Error(`${name} backend: a generator body's context can only be entered`);
      return entry.step();
    },
    delete(_ctx: BackendContext): void {
      // Nothing to release: the body's generator is garbage once unreferenced.
    },
    leader(): BackendContext {
      return leader;
    },
  };
}

/** What a backend package exports, so the core can find and probe it by name. */
export interface BackendModule {
  /** Backend name, as used in package.json `"qco": { "backend": … }` and QCO_BACKEND. */
  readonly backendName: string;
  /** Whether the backend can run here (a native addon that did not build is not available). */
  isAvailable(): boolean;
  /** Why it cannot run here ('' when it can): shown in the selection error. */
  unavailableReason?(): string;
  /** Create the backend; throws BackendNotAvailableError when not available. */
  createBackend(): CoroutineBackend;
}

/**
 * The native side of a stackful backend (native-ucontext, sigaltstack, asyncify):
 * C functions that run on a context of their own and may yield from any depth.
 * The core drives it (`yield* nativeCall(…)`), so each native yield becomes a
 * yield of the calling JavaScript coroutine; the backend only starts and resumes.
 */
export interface NativeRuntime {
  /** Names of the C functions this runtime can run now (grows as C code registers functions). */
  readonly functions: readonly string[];
  /**
   * Start `fn(args)` on a fresh native context; returns a handle. Nothing runs yet.
   * An argument is a number or a Uint8Array, whose bytes the C function may read
   * and write until it returns.
   */
  start(fn: string, args: readonly NativeArg[]): number;
  /**
   * Load a consumer's C functions (registered with qco_register_function): a Node
   * addon built against qco.h for the native backends, a module built with
   * `qco-asyncify-build` for asyncify. Each runtime takes the file it can use.
   */
  loadFunctions?(source: NativeFunctionSource): void;
  /**
   * Run the native context until it yields or returns. `input` is delivered as the
   * result of the native yield it resumes (0 on the first resume).
   * Returns { done: false, request } on a yield (request: what it waits for, see
   * NativeRequest) or { done: true, value } when the function returned, after which
   * the handle is released.
   */
  resume(handle: number, input: number): NativeStep;
  /** Release a native context that will not be resumed again. */
  cancel(handle: number): void;
}

/** An argument of a C function run from JavaScript: a number, or bytes lent to it until it returns. */
export type NativeArg = number | Uint8Array;

/** Where a consumer's C functions are: its Node addon (native backends) and its wasm module (asyncify). */
export interface NativeFunctionSource {
  /** Path of the consumer's addon (`.node`), built with qco.h's QCO_MAIN. */
  readonly addon?: string;
  /** Path of the wasm module `qco-asyncify-build` made from the same C files. */
  readonly wasm?: string;
}

/** One step of a native context. */
export type NativeStep = { readonly done: false; readonly request: NativeRequest } | { readonly done: true; readonly value: number };

/** Why a native context yielded: a plain yield, or a wait the core performs on its behalf. */
export type NativeRequest =
  | { readonly kind: 'yield' }
  | { readonly kind: 'fd'; readonly fd: number; readonly events: 'read' | 'write' }
  | { readonly kind: 'sleep'; readonly ns: number }
  | { readonly kind: 'lock'; readonly mutex: number }
  | { readonly kind: 'unlock'; readonly mutex: number };
