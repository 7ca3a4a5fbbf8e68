/** The nvme driver's face: the driver, its node class and the device registry (the emulated controller is @qco/nvme-emulator). */
export { registerNvmeDevice, unregisterNvmeDevice } from './nvme-devices.js';
export { NVME_QUEUE_SIZE, nvmeDriver, nvmeParseFilename } from './nvme-driver.js';
export { NvmeBlockDriverState } from './nvme-node.js';
export { DmaOutOfMemoryError } from '@qco/nvme-emulator';
