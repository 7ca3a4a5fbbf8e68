/**
 * What every suite shares: its options (label, body kind, stress hook), its
 * describe title, selecting the backend under test, and writing each coroutine
 * body once for both body kinds.
 */
import {
  runCoroutineFn,
  supportsPlainBodies,
  useBackend,
  type BackendModule,
  type Co,
  type CoroutineBackend,
  type CoroutineBody,
  type PlainCoroutineBody,
} from '@qco/core';
import { expect, it } from 'vitest';

/**
 * How a suite runs its coroutine bodies: as generator functions (every backend),
 * or as plain functions whose yields block (backends whose bodyKinds include 'plain').
 */
export type SuiteBodies = 'generator' | 'plain';

/**
 * The backend under test: its package's BackendModule (how every backend mounts
 * the suites: created when the suite starts, named in the title), a backend, or
 * a function making one when the suite starts.
 */
export type SuiteBackend = BackendModule | CoroutineBackend | (() => CoroutineBackend);

/** The backend's name as the describe titles show it. */
export function backendLabel(backend: SuiteBackend): string {
  if (typeof backend === 'function') return 'backend';
  return 'backendName' in backend ? backend.backendName : backend.name;
}

function createSuiteBackend(backend: SuiteBackend): CoroutineBackend {
  if (typeof backend === 'function') return backend();
  return 'createBackend' in backend ? backend.createBackend() : backend;
}

/** Options every suite takes. */
export interface SuiteOptions {
  /** Extra label in the describe block (e.g. 'gc-stress'). */
  readonly label?: string;
  /** The body kind the cases are run with (default 'generator'). */
  readonly bodies?: SuiteBodies;
  /** Called between steps of long cases and inside suspended bodies (e.g. `globalThis.gc`) to stress the backend. */
  readonly stress?: () => void;
}

/** The describe title: the QEMU test file, the body kind when plain, the backend and the label. */
export function suiteTitle(file: string, backend: SuiteBackend, options: SuiteOptions): string {
  return `${file}${options.bodies === 'plain' ? ' plain bodies' : ''} [${backendLabel(backend)}${options.label ? `, ${options.label}` : ''}]`;
}

/** Make `backend` the active one (for beforeAll); with plain bodies, check it runs them. */
export function useSuiteBackend(backend: SuiteBackend, options: SuiteOptions): CoroutineBackend {
  const b = createSuiteBackend(backend);
  useBackend(b);
  if (options.bodies === 'plain') expect(supportsPlainBodies()).toBe(true);
  return b;
}

/** A coroutine body: in either body kind, whichever coroutineCreate accepts. */
export type SuiteBody<A> = CoroutineBody<A> | PlainCoroutineBody<A>;

/** Turns a coroutine_fn into a body of the suite's kind (see bodyOf). */
export type AsBody = <A>(fn: (opaque: A) => Co<unknown>) => SuiteBody<A>;

/**
 * The coroutine_fn `fn` as a body of kind `bodies`: itself, or a plain function
 * that runs it with runCoroutineFn, so each of its yields is a blocking yield of
 * the plain body. Each case is written once and runs as either kind.
 */
export function bodyOf(bodies: SuiteBodies | undefined): AsBody {
  if (bodies !== 'plain') return (fn) => fn;
  return (fn) => (opaque) => runCoroutineFn(fn(opaque));
}

/** Registers a case: vitest's `it`, reduced to a name and a test function. */
export type CaseRegistrar = (name: string, fn: () => unknown) => void;

/**
 * `it` for the cases that run no coroutine body: they register in the
 * generator-body run only, since a plain-body run would repeat them unchanged.
 */
export function itWithoutBodies(options: SuiteOptions): CaseRegistrar {
  if (options.bodies === 'plain') return () => {};
  return (name, fn) => {
    it(name, fn);
  };
}

/** The stress hook of the gc-stress runs: a full collection (vitest runs the package with --expose-gc). */
export function gcStress(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('the gc-stress runs need node --expose-gc (execArgv in the vitest config)');
  gc();
}
