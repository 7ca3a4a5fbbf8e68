/** The nvme driver's face: the driver, its node class and the device registry (the emulated controller is @qco/nvme-emulator). */
export { registerNvmeDevice, unregisterNvmeDevice } from './nvme-devices.js';
export { NVME_QUEUE_SIZE, NvmeBlockDriverState, nvmeDriver, nvmeParseFilename } from './nvme-driver.js';
export { DmaOutOfMemoryError } from '@qco/nvme-emulator';
