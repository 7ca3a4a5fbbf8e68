/**
 * The nvme driver and the emulated NVMe controller it drives: everything a user
 * or a test needs (the driver object, the controller with its counters and
 * fault injection, the device registry and the status-to-errno mapping).
 */
export { EmulatedNvmeController, NvmeBar, type EmulatedNvmeControllerOptions, type NvmeControllerCounters } from './controller.js';
export type { InjectedErrorRule } from './controller-layout.js';
export { DmaMemory, DmaOutOfMemoryError, type DmaBuffer } from './dma-memory.js';
export { registerNvmeDevice, unregisterNvmeDevice } from './nvme-devices.js';
export { NVME_QUEUE_SIZE, NvmeBlockDriverState, nvmeDriver, nvmeParseFilename } from './nvme-driver.js';
export { nvmeTranslateError } from './nvme-status.js';
export * as NvmeSpec from './nvme-spec.js';
