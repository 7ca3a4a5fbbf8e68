/**
 * @qco/nvme-emulator — an emulated NVMe 1.4 controller (QEMU's hw/nvme
 * analogue): admin and I/O queue pairs in shared memory, doorbells, phase-bit
 * completions and interrupts, served by a worker thread over a
 * SharedArrayBuffer "PCI BAR" and DMA region. It is the device that
 * @qco/drivers-block's nvme driver (QEMU's block/nvme.c analogue) talks to;
 * `@qco/nvme-emulator/spec` holds the NVMe definitions both sides use.
 */
export { EmulatedNvmeController, NvmeBar, type EmulatedNvmeControllerOptions, type NvmeControllerCounters } from './controller.js';
export type { InjectedErrorRule } from './controller-layout.js';
export { DmaMemory, DmaOutOfMemoryError, type DmaBuffer } from './dma-memory.js';
