/**
 * The built-in block drivers, registered by the package face and the tools
 * (QEMU's block_init). The block layer itself names no driver. Each driver
 * module is light: what a driver needs only once it opens something (ssh2,
 * the NFS RPC codecs, the NBD client, the qcow2 and nvme nodes) it loads in
 * `open`, so a command loads the code of the drivers it opens and no other.
 */
import type { BlockDriver } from '../block/block-driver.js';
import { registerBlockDriver } from '../block/block-registry.js';
import { fileDriver } from './file/file-driver.js';
import { nullAioDriver, nullCoDriver } from './null/null-driver.js';
import { sshDriver } from './ssh/ssh-driver.js';
import { nvmeDriver } from './nvme/nvme-driver.js';
import { nfsDriver } from './nfs/nfs-driver.js';
import { nbdDriver, nbdTcpDriver, nbdUnixDriver } from './nbd/nbd-driver.js';
import { rawDriver } from './raw/raw-driver.js';
import { qcow2Driver } from './qcow2/qcow2-driver.js';

/** Every built-in driver, in the order `qco-img --help` lists them. */
export const builtinBlockDrivers: readonly BlockDriver[] = [
  nullCoDriver,
  nullAioDriver,
  fileDriver,
  sshDriver,
  nvmeDriver,
  nfsDriver,
  nbdDriver,
  nbdTcpDriver,
  nbdUnixDriver,
  rawDriver,
  qcow2Driver,
];

let registered = false;

/** Register every built-in driver once (the package face and the tools call it). */
export function registerBuiltinBlockDrivers(): void {
  if (registered) return;
  registered = true;
  // The registry puts the latest first; register in reverse to keep the listed order.
  for (const d of [...builtinBlockDrivers].reverse()) registerBlockDriver(d);
}
