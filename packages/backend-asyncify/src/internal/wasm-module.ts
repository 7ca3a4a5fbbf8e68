/**
 * Finds, compiles and instantiates wasm/qco-asyncify.wasm and the modules a
 * consumer built with qco-asyncify-build. Loading is synchronous (the core
 * resolves backends with require, at first use), a compiled module is shared by
 * every backend instance of the process, and a missing or unloadable built-in
 * file only makes the backend "not available". A consumer's module linked with
 * wasi-libc gets node:wasi's imports: its fds 0-2 are the process's stdio.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The part of the WebAssembly JavaScript API used here (TypeScript has it only in lib.dom). */
export interface WasmApi {
  Module: {
    new (bytes: Uint8Array): WasmModule;
    imports(mod: WasmModule): { module: string; name: string; kind: string }[];
    exports(mod: WasmModule): { name: string; kind: string }[];
  };
  Instance: new (mod: WasmModule, imports: Record<string, Record<string, unknown>>) => { readonly exports: unknown };
  RuntimeError: new (message?: string) => Error;
  validate(bytes: Uint8Array): boolean;
}
/** A compiled module (opaque). */
export type WasmModule = object & { readonly __wasmModule?: never };
/** A module's linear memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** The global WebAssembly namespace, typed. */
export const wasm: WasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The module's exports, as runtime.c and Binaryen's asyncify pass define them. */
export interface QcoWasmExports {
  readonly memory: WasmMemory;
  qco_bytes_alloc(n: number): number;
  qco_bytes_free(ptr: number): void;
  qco_run(ctx: number, value: number, level: number): number;
  qco_recover(level: number): number;
  qco_js_new(id: number, dataSize: number, stackSize: number): number;
  qco_ctx_free(ctx: number): void;
  qco_fn_count(): number;
  qco_fn_name(i: number): number;
  qco_native_start(fn: number, dataSize: number, stackSize: number): number;
  qco_native_leaf(root: number): number;
  /** The backend's own module only: its C bodies' scratch memory and the C conformance suite. */
  qco_scratch?(): number;
  qco_suite_count?(): number;
  qco_suite_name?(i: number): number;
  qco_suite_start?(i: number, dataSize: number, stackSize: number): number;
  qco_suite_result?(ctx: number): number;
  asyncify_get_state(): number;
  asyncify_stop_unwind(): void;
  asyncify_stop_rewind(): void;
}

/** What the module imports: the step of a JavaScript body. */
export interface QcoWasmImports {
  readonly step: (id: number) => number;
}

/** Path of the built module: wasm/ at the package root, found from src/internal/, dist/ or dist/bench/. */
export function wasmPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 3; i++) {
    const file = join(dir, 'wasm', 'qco-asyncify.wasm');
    if (existsSync(file) || existsSync(join(dir, 'package.json'))) return file;
    dir = dirname(dir);
  }
  return join(dir, 'wasm', 'qco-asyncify.wasm');
}

let compiled: WasmModule | null | undefined;
let loadError: unknown;

/** The compiled module, or null when it is missing or does not compile here. */
export function compiledModule(): WasmModule | null {
  if (compiled !== undefined) return compiled;
  try {
    const file = wasmPath();
    if (!existsSync(file)) throw new Error(`${file} is missing: run \`pnpm --filter @qco/backend-asyncify build\``);
    compiled = new wasm.Module(readFileSync(file));
  } catch (err) {
    loadError = err;
    compiled = null;
  }
  return compiled;
}

/** Why the module could not be loaded (undefined when it loaded). */
export function moduleLoadError(): unknown {
  compiledModule();
  return loadError;
}

const consumerModules = new Map<string, WasmModule>();

/** A consumer's module (compiled once per process), or a thrown error saying why it cannot load. */
export function consumerModule(file: string): WasmModule {
  let mod = consumerModules.get(file);
  if (mod === undefined) {
    if (!existsSync(file)) {
      const failed = `${file}.failed`;
      const why = existsSync(failed) ? ` (its build failed: ${readFileSync(failed, 'utf8').trim()})` : '';
      throw new Error(`${file} is missing${why}: build it with qco-asyncify-build`);
    }
    mod = new wasm.Module(readFileSync(file));
    const imports = wasm.Module.imports(mod);
    if (!imports.some((i) => i.module === 'qco' && i.name === 'step')) throw new Error(`${file} is not a qco asyncify module (build it with qco-asyncify-build)`);
    consumerModules.set(file, mod);
  }
  return mod;
}

/** node:wasi's preview1, loaded only for a module that imports it (Node warns that WASI is experimental). */
interface WasiInstance {
  getImportObject(): Record<string, Record<string, unknown>>;
  initialize(instance: object): void;
}
type WasiCtor = new (options: { version: 'preview1'; returnOnExit?: boolean }) => WasiInstance;

/** A fresh instance of `mod` (the backend's own module by default): its own memory, contexts and native functions. */
export function instantiate(imports: QcoWasmImports, mod: WasmModule | null = compiledModule()): QcoWasmExports {
  if (mod === null) throw moduleLoadError();
  const wanted: Record<string, Record<string, unknown>> = { qco: { step: imports.step } };
  let wasi: WasiInstance | undefined;
  if (wasm.Module.imports(mod).some((i) => i.module === 'wasi_snapshot_preview1')) {
    const { WASI } = process.getBuiltinModule('node:wasi') as { WASI: WasiCtor };
    wasi = new WASI({ version: 'preview1', returnOnExit: true });
    Object.assign(wanted, wasi.getImportObject());
  }
  const instance = new wasm.Instance(mod, wanted);
  // A reactor: libc's constructors run once, before any function is called.
  wasi?.initialize(instance);
  return instance.exports as QcoWasmExports;
}
