/**
 * QEMU's clocks (include/qemu/timer.h) in nanoseconds. Without vCPUs there is
 * nothing to stop the virtual clock, so VIRTUAL and VIRTUAL_RT run with the
 * monotonic REALTIME clock; HOST is wall-clock time (it may jump). Values are
 * JavaScript numbers: exact for the monotonic clocks (ns since process start) and
 * within a few hundred ns for HOST (ns since the epoch exceed 2^53).
 */

/** QEMUClockType: which clock a timer or a reading uses. */
export enum QEMUClockType {
  /** Monotonic, runs even when the VM is stopped. */
  QEMU_CLOCK_REALTIME = 0,
  /** Guest time; here the monotonic clock (no vCPUs to stop it). */
  QEMU_CLOCK_VIRTUAL = 1,
  /** Wall-clock time of the host (follows NTP and manual changes). */
  QEMU_CLOCK_HOST = 2,
  /** Virtual clock for real-time use; here the monotonic clock. */
  QEMU_CLOCK_VIRTUAL_RT = 3,
}

/** QEMU_CLOCK_REALTIME */
export const QEMU_CLOCK_REALTIME = QEMUClockType.QEMU_CLOCK_REALTIME;
/** QEMU_CLOCK_VIRTUAL */
export const QEMU_CLOCK_VIRTUAL = QEMUClockType.QEMU_CLOCK_VIRTUAL;
/** QEMU_CLOCK_HOST */
export const QEMU_CLOCK_HOST = QEMUClockType.QEMU_CLOCK_HOST;
/** QEMU_CLOCK_VIRTUAL_RT */
export const QEMU_CLOCK_VIRTUAL_RT = QEMUClockType.QEMU_CLOCK_VIRTUAL_RT;
/** Number of clock types (QEMU_CLOCK_MAX). */
export const QEMU_CLOCK_MAX = 4;

/** Timer scales: how many ns one unit of `timerMod` is. */
export const SCALE_NS = 1;
/** One microsecond in ns. */
export const SCALE_US = 1000;
/** One millisecond in ns. */
export const SCALE_MS = 1_000_000;

const origin = process.hrtime.bigint();

/** Monotonic nanoseconds since this module loaded. */
export function monotonicNs(): number {
  return Number(process.hrtime.bigint() - origin);
}

/** qemu_clock_get_ns: the clock's current time in ns. */
export function qemuClockGetNs(type: QEMUClockType): number {
  if (type === QEMUClockType.QEMU_CLOCK_HOST) return Math.round((performance.timeOrigin + performance.now()) * 1e6);
  return monotonicNs();
}

/** qemu_clock_get_ms: the clock's current time in ms. */
export function qemuClockGetMs(type: QEMUClockType): number {
  return Math.floor(qemuClockGetNs(type) / SCALE_MS);
}

/** qemu_clock_get_us: the clock's current time in µs. */
export function qemuClockGetUs(type: QEMUClockType): number {
  return Math.floor(qemuClockGetNs(type) / SCALE_US);
}
