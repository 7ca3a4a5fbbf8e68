/** The NVMe definitions the controller and a host driver share (QEMU's include/block/nvme.h analogue). */
export * from './nvme-spec.js';
