/**
 * The errors every package of qco shares, defined once here (the package all of
 * them depend on) so that `instanceof` holds whichever package threw.
 */

/** Base class of every error the coroutine core and its backends throw. */
export class CoroutineError extends Error {
  override name = 'CoroutineError';
}

/**
 * The requested backend cannot run here (QEMU's configure wording), with why:
 * `"native-ucontext" backend requested but not available (its addon did not build: …). Available backends: generator`.
 */
export class BackendNotAvailableError extends CoroutineError {
  override name = 'BackendNotAvailableError';
  constructor(
    readonly requested: string,
    readonly available: readonly string[] | undefined,
    readonly reason = '',
  ) {
    super(`"${requested}" backend requested but not available${reason ? ` (${reason})` : ''}${available ? `. Available backends: ${available.join(', ')}` : ''}`);
  }
}
