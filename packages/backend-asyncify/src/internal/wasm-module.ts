/**
 * Finds, compiles and instantiates wasm/qco-asyncify.wasm. Loading is
 * synchronous (the core resolves backends with require, at first use), the
 * compiled module is shared by every backend instance of the process, and a
 * missing or unloadable file only makes the backend "not available".
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The module's exports, as runtime.c and Binaryen's asyncify pass define them. */
export interface QcoWasmExports {
  readonly memory: WebAssembly.Memory;
  qco_run(ctx: number, value: number): number;
  qco_recover(): number;
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
  step(id: number): number;
}

/** Path of the built module (beside src/ and dist/ alike). */
export function wasmPath(): string {
  return fileURLToPath(new URL('../wasm/qco-asyncify.wasm', import.meta.url.includes('/src/internal/') ? new URL('../', import.meta.url) : import.meta.url));
}

let compiled: WebAssembly.Module | null | undefined;
let loadError: unknown;

/** The compiled module, or null when it is missing or does not compile here. */
export function compiledModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  try {
    const file = wasmPath();
    if (!existsSync(file)) throw new Error(`${file} is missing: run \`pnpm --filter @qco/backend-asyncify build\``);
    compiled = new WebAssembly.Module(readFileSync(file));
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
  const instance = new WebAssembly.Instance(mod, { qco: { step: imports.step } });
  return instance.exports as unknown as QcoWasmExports;
}
