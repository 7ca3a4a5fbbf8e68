/**
 * Ending what a suite's beforeAll / beforeEach started. When that setup threw or
 * never ran, its variable is still undefined at afterAll time whatever its declared
 * type says, so the teardown takes each one as possibly missing.
 */

/** Something a suite starts and must end: a server or block backend (close) or a peer (stop). */
export type Startable = { close(): unknown } | { stop(): unknown };

/** Close or stop each of `items` that was started, in order, awaiting each. */
export async function endStarted(...items: readonly (Startable | undefined)[]): Promise<void> {
  for (const item of items) {
    if (item === undefined) continue;
    await ('close' in item ? item.close() : item.stop());
  }
}
