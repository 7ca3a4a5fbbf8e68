/**
 * A driver's implementation, loaded by the driver's first open instead of
 * with the registry: a tool registers every built-in driver but compiles only
 * the ones it opens (the qcow2 and nvme nodes, the nbd client, the ssh session
 * with ssh2, the NFS RPC client with its codecs). The synchronous face cannot
 * wait for an import, so the package face provides the implementations it can
 * open synchronously up front (builtin-implementations.ts); the socket drivers
 * it refuses anyway.
 */
import { coAwait, type Co } from '@qco/core';
import { BlockError } from '../block/errors.js';
import { Errno } from '../block/errno.js';
import { inSyncWait } from '../block/sync-run.js';

/** One driver's implementation module, loaded once, at its first `get`. */
export class LazyImplementation<M> {
  private mod: M | undefined;

  constructor(
    private readonly driverName: string,
    private readonly load: () => Promise<M>,
  ) {}

  /** Hand over the module already loaded (the package face does, for the synchronous face). */
  provide(mod: M): void {
    this.mod = mod;
  }

  /** The module, importing it on first use. */
  *get(): Co<M> {
    if (this.mod !== undefined) return this.mod;
    // A blocking poll never runs the promise jobs an import resolves in: it would wait forever.
    if (inSyncWait()) {
      throw new BlockError(`The ${this.driverName} driver is not loaded; open it through the Promise face, or import @qco/drivers-block's face, which loads it`, Errno.ENOTSUP);
    }
    const mod = yield* coAwait(this.load());
    this.mod = mod;
    return mod;
  }
}
