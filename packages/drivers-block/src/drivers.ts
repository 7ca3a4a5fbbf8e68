/**
 * The list of built-in block drivers: the one place a driver is registered.
 * Each driver module exports a plain BlockDriver object; add its import and
 * one entry to `builtinBlockDrivers` (keep one driver per line). Nothing here
 * opens anything, so importing the list costs nothing but module loading.
 */
import type { BlockDriver } from './block-driver.js';
import { fileDriver } from './file/file-driver.js';
import { nullAioDriver, nullCoDriver } from './null/null-driver.js';
import { sshDriver } from './ssh/ssh-driver.js';
import { nvmeDriver } from './nvme/nvme-driver.js';
import { nfsDriver } from './nfs/nfs-driver.js';

/** Every built-in driver, in the order `qco-img --help` lists them. */
export const builtinBlockDrivers: readonly BlockDriver[] = [
  nullCoDriver,
  nullAioDriver,
  fileDriver,
  sshDriver,
  nvmeDriver,
  nfsDriver,
];
