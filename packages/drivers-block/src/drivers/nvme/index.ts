/** The nvme driver's face: the driver, its node class, the device registry and the emulated controller to attach. */
export { EmulatedNvmeController, type EmulatedNvmeControllerOptions, type NvmeControllerCounters } from './controller.js';
export type { InjectedErrorRule } from './controller-layout.js';
export { DmaOutOfMemoryError } from './dma-memory.js';
export { registerNvmeDevice, unregisterNvmeDevice } from './nvme-devices.js';
export { NVME_QUEUE_SIZE, NvmeBlockDriverState, nvmeDriver, nvmeParseFilename } from './nvme-driver.js';
