/**
 * Finding drivers by name (driver=, -f) and by protocol prefix ('ssh://…'),
 * over the drivers registered with it (QEMU's block_init list). The block
 * layer names no driver: the package face registers the built-in ones, and a
 * user may add more. An unknown name gets QEMU's "Unknown driver" / "Unknown
 * protocol" errors; a driver built against another version of the contract is
 * refused at registration.
 */
import { BLOCK_DRIVER_SPEC, type BlockDriver } from './block-driver.js';
import { BlockError, UnknownDriverError, UnknownProtocolError } from './errors.js';
import { filenameProtocol } from './options.js';

const registered: BlockDriver[] = [];

/** Add a driver (the built-in ones, tests, out-of-tree drivers). A later one of the same name wins. */
export function registerBlockDriver(driver: BlockDriver): void {
  // Typed as the one version, but an out-of-tree driver's value comes from plain JavaScript.
  const spec: number = driver.spec;
  if (spec !== BLOCK_DRIVER_SPEC) {
    throw new BlockError(`Block driver '${driver.formatName}' implements contract version ${String(spec)}, this block layer needs ${BLOCK_DRIVER_SPEC}`);
  }
  registered.unshift(driver);
}

/** All drivers known now, the latest registered first. */
export function blockDrivers(): readonly BlockDriver[] {
  return registered;
}

/** bdrv_find_format: the driver of this format name, or UnknownDriverError. */
export function findBlockDriver(name: string): BlockDriver {
  const d = blockDrivers().find((x) => x.formatName === name);
  if (d === undefined) throw new UnknownDriverError(name);
  return d;
}

/**
 * bdrv_find_protocol: the driver serving `filename`'s protocol prefix; the
 * 'file' driver when it has none; UnknownProtocolError for an unknown prefix.
 */
export function findProtocolDriver(filename: string): BlockDriver {
  const proto = filenameProtocol(filename);
  if (proto === undefined) return findBlockDriver('file');
  const d = blockDrivers().find((x) => x.protocolName === proto);
  if (d === undefined) throw new UnknownProtocolError(proto);
  return d;
}
