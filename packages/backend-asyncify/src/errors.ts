/**
 * Errors of the asyncify backend. Each names what ran out and how big it was, so
 * an overflow reads as a bug report rather than as corrupted memory: the checks
 * (Binaryen's stack-check on every shadow stack pointer write, asyncify's bound
 * on its data region) fire before anything outside the context's block is written.
 */

/** Base class of this backend's errors. */
export class AsyncifyBackendError extends Error {
  override name = 'AsyncifyBackendError';
}

/** A context's C shadow stack would have grown past its bound. */
export class AsyncifyStackOverflowError extends AsyncifyBackendError {
  override name = 'AsyncifyStackOverflowError';
}

/** An unwound call stack did not fit in the context's asyncify data region. */
export class AsyncifyDataOverflowError extends AsyncifyBackendError {
  override name = 'AsyncifyDataOverflowError';
}

/** Linear memory could not grow for a new context. */
export class AsyncifyOutOfMemoryError extends AsyncifyBackendError {
  override name = 'AsyncifyOutOfMemoryError';
}

/** Any other trap inside the module (the context that trapped is dead; the backend stays usable). */
export class AsyncifyTrapError extends AsyncifyBackendError {
  override name = 'AsyncifyTrapError';
}
