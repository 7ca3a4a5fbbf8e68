/** qcow2's magic and probe, all the registry needs before an image is opened. */

/** 'QFI\xfb' */
export const QCOW2_MAGIC = 0x514649fb;

/** Whether `b` starts with the qcow2 magic and a plausible version (QEMU's qcow2_probe). */
export function probeQcow2(b: Uint8Array): boolean {
  if (b.length < 8) return false;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return dv.getUint32(0) === QCOW2_MAGIC && dv.getUint32(4) >= 2;
}
