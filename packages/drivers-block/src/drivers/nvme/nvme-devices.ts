/**
 * The "PCI bus" of the emulation: which controller a `device` option names.
 * QEMU's driver takes a PCI address; here a device is either an emulated
 * controller registered under a name (a test or an application made it and
 * can reach its counters and fault injection), or an ad-hoc one the driver
 * creates and owns: `mem:<size>` (namespace in memory) or `file:<path>`
 * (namespace backed by that file).
 */
import { EmulatedNvmeController, type EmulatedNvmeControllerOptions } from '@qco/nvme-emulator';
import { BlockError } from '../../block/errors.js';
import { Errno } from '../../block/errno.js';
import { parseSize } from '../../block/options.js';

const devices = new Map<string, EmulatedNvmeController>();
const claimed = new Set<EmulatedNvmeController>();

/** Make `ctrl` reachable as `nvme://<name>` / device=<name>. */
export function registerNvmeDevice(name: string, ctrl: EmulatedNvmeController): void {
  if (name.includes('/') || name.includes(':')) throw new BlockError(`Invalid NVMe device name '${name}'`, Errno.EINVAL);
  devices.set(name, ctrl);
}

/** Forget a registered device name. */
export function unregisterNvmeDevice(name: string): void {
  devices.delete(name);
}

/** A device the driver attached to: `owned` ones are closed with the node. */
export interface NvmeDeviceClaim {
  readonly ctrl: EmulatedNvmeController;
  readonly owned: boolean;
  /** Let go of the device; an owned controller is stopped (its worker exits on its own). */
  release(): void;
}

/** Find or create the controller `device` names, and claim it (one driver per controller, as VFIO allows one owner). */
export function claimNvmeDevice(device: string, extra: EmulatedNvmeControllerOptions): NvmeDeviceClaim {
  let ctrl: EmulatedNvmeController;
  let owned = false;
  if (device.startsWith('mem:')) {
    const size = parseSize(device.slice(4));
    if (size === undefined || size <= 0) throw new BlockError(`Invalid NVMe device '${device}': expected mem:<size>`, Errno.EINVAL);
    ctrl = new EmulatedNvmeController({ ...extra, size });
    owned = true;
  } else if (device.startsWith('file:')) {
    ctrl = new EmulatedNvmeController({ ...extra, file: device.slice(5) });
    owned = true;
  } else {
    const found = devices.get(device);
    if (found === undefined) throw new BlockError(`Failed to open PCI device '${device}': no such emulated NVMe controller`, Errno.ENOENT);
    ctrl = found;
  }
  if (claimed.has(ctrl)) throw new BlockError(`NVMe device '${device}' is already in use`, Errno.EBUSY);
  claimed.add(ctrl);
  let released = false;
  return {
    ctrl,
    owned,
    release() {
      if (released) return;
      released = true;
      claimed.delete(ctrl);
      if (owned) void ctrl.close();
    },
  };
}
