/**
 * The error every qco-img subcommand exits with, in a module of its own so
 * the dispatcher can word a usage error without loading the block layer.
 */

/** A failure already worded for the user; the tool prints "qco-img: <message>" and exits 1 (or `status`). */
export class ImgError extends Error {
  constructor(
    message: string,
    readonly status = 1,
  ) {
    super(message);
  }
}

/** qemu-img's error_exit: the message, then where to find help. */
export function usageError(message: string): ImgError {
  return new ImgError(`${message}\nTry 'qco-img --help' for more information`);
}
