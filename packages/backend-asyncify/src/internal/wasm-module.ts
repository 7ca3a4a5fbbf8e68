/**
 * Finds, compiles and instantiates wasm/qco-asyncify.wasm. Loading is
 * synchronous (the core resolves backends with require, at first use), the
 * compiled module is shared by every backend instance of the process, and a
 * missing or unloadable file only makes the backend "not available".
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
  qco_run(ctx: number, value: number, level: number): number;
  qco_recover(level: number): number;
  qco_js_new(id: number, dataSize: number, stackSize: number): number;
  qco_ctx_free(ctx: number): void;
  qco_fn_count(): number;
  qco_fn_name(i: number): number;
  qco_native_start(fn: number, dataSize: number, stackSize: number): number;
  qco_native_leaf(root: number): number;
  qco_scratch(): number;
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

/** A fresh instance: its own memory, contexts and native functions. */
export function instantiate(imports: QcoWasmImports): QcoWasmExports {
  const mod = compiledModule();
  if (mod === null) throw moduleLoadError();
  const instance = new wasm.Instance(mod, { qco: { step: imports.step } });
  return instance.exports as QcoWasmExports;
}
