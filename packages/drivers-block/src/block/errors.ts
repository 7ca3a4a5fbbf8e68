/**
 * Errors of the block layer, one class per condition a caller may want to match,
 * each carrying QEMU's message text. Request failures carry a positive `errno`
 * (QEMU's functions return -errno; we throw), so command-line tools can print
 * "read failed: Input/output error" exactly as qemu-io does.
 */
import { Errno, strerror } from './errno.js';

/** Base class of every block-layer error; `errno` is positive (EIO when none applies). */
export class BlockError extends Error {
  override name = 'BlockError';
  readonly errno: number;
  constructor(message: string, errno: number = Errno.EIO, options?: ErrorOptions) {
    super(message, options);
    this.errno = Math.abs(errno);
  }
}

/** The errno a caught value carries (a BlockError's, a Node system error's, as a positive number), else `fallback`. */
export function errnoOf(err: unknown, fallback: number = Errno.EIO): number {
  const errno = typeof err === 'object' && err !== null ? (err as { errno?: unknown }).errno : undefined;
  return typeof errno === 'number' && errno !== 0 ? Math.abs(errno) : fallback;
}

/** A request failed with an errno; the message is strerror's text, as QEMU prints it. */
export class BlockIoError extends BlockError {
  override name = 'BlockIoError';
  constructor(errno: number, detail?: string, options?: ErrorOptions) {
    super(detail === undefined ? strerror(errno) : detail, errno, options);
  }
}

/** bdrv_find_format / -f with a name nobody registered. */
export class UnknownDriverError extends BlockError {
  override name = 'UnknownDriverError';
  constructor(readonly driverName: string) {
    super(`Unknown driver '${driverName}'`, Errno.EINVAL);
  }
}

/** A filename "proto:..." whose protocol no driver serves. */
export class UnknownProtocolError extends BlockError {
  override name = 'UnknownProtocolError';
  constructor(readonly protocol: string) {
    super(`Unknown protocol '${protocol}'`, Errno.EINVAL);
  }
}

/** An option the driver does not take (QEMU: bdrv_open_inherit's leftover check). */
export class UnknownOptionError extends BlockError {
  override name = 'UnknownOptionError';
  constructor(
    readonly driverName: string,
    readonly option: string,
    kind: 'protocol' | 'format' = 'protocol',
  ) {
    super(`Block ${kind} '${driverName}' doesn't support the option '${option}'`, Errno.EINVAL);
  }
}

/** An option value that does not parse (QEMU's QERR_INVALID_PARAMETER_VALUE: "Parameter 'x' expects …"). */
export class InvalidParameterError extends BlockError {
  override name = 'InvalidParameterError';
  constructor(
    readonly parameter: string,
    readonly expected: string,
  ) {
    super(`Parameter '${parameter}' expects ${expected}`, Errno.EINVAL);
  }
}

/** A required option is missing (QEMU's QERR_MISSING_PARAMETER). */
export class MissingParameterError extends BlockError {
  override name = 'MissingParameterError';
  constructor(readonly parameter: string) {
    super(`Parameter '${parameter}' is required`, Errno.EINVAL);
  }
}

/** A filename this driver cannot take (e.g. null-co's "The only allowed filename…"). */
export class InvalidFilenameError extends BlockError {
  override name = 'InvalidFilenameError';
}

/** An option string or json: document that does not parse. */
export class OptionSyntaxError extends BlockError {
  override name = 'OptionSyntaxError';
  constructor(message: string) {
    super(message, Errno.EINVAL);
  }
}

/** Opening an image failed: "Could not open 'x': No such file or directory". */
export class CouldNotOpenError extends BlockError {
  override name = 'CouldNotOpenError';
  constructor(
    readonly filename: string,
    errno: number,
    detail?: string,
    options?: ErrorOptions,
  ) {
    super(`Could not open '${filename}': ${detail ?? strerror(errno)}`, errno, options);
  }
}

/** A request outside the image or with a negative / too large offset or length (QEMU: -EIO / -EINVAL). */
export class RequestRangeError extends BlockError {
  override name = 'RequestRangeError';
}

/** An unaligned request reached a driver method directly, bypassing the block layer's read-modify-write. */
export class UnalignedRequestError extends BlockError {
  override name = 'UnalignedRequestError';
  constructor(
    readonly offset: number,
    readonly bytes: number,
    readonly alignment: number,
  ) {
    super(`Request (offset ${offset}, ${bytes} bytes) is not aligned to the driver's request alignment of ${alignment} bytes`, Errno.EINVAL);
  }
}

/** A write or other modifying request on a read-only node (QEMU: -EPERM / -EACCES). */
export class ReadOnlyError extends BlockError {
  override name = 'ReadOnlyError';
  constructor(message = 'Block node is read-only') {
    super(message, Errno.EPERM);
  }
}

/** The driver does not implement the operation (QEMU: -ENOTSUP). */
export class NotSupportedError extends BlockError {
  override name = 'NotSupportedError';
  constructor(message: string) {
    super(message, Errno.ENOTSUP);
  }
}

/**
 * The synchronous face was used with a driver whose completions arrive through
 * the Node event loop (sockets: ssh, nfs), which a blocked caller cannot run.
 */
export class SyncUnsupportedError extends BlockError {
  override name = 'SyncUnsupportedError';
  constructor(readonly driverName: string) {
    super(
      `Driver '${driverName}' completes requests through the Node.js event loop, which a synchronous call cannot run; use the Promise face (await blk.pread(...)) or the coroutine face (yield* blk.coPread(...))`,
      Errno.ENOTSUP,
    );
  }
}
