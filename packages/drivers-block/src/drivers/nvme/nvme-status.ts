/**
 * NVMe completion status → errno, as QEMU's block/nvme.c maps it: success → 0, Invalid Command Opcode → -ENOSYS, Invalid Field in
 * Command → -EINVAL, anything else → -EIO. Both named codes are generic ones
 * (status code type 0); a command-specific or media error that happens to use
 * the same code number is "anything else".
 */
import { Errno } from '../../block/errno.js';
import { NvmeGenericStatus, NvmeSct, nvmeStatusSc, nvmeStatusSct } from '@qco/nvme-emulator/spec';

/** nvme_translate_error: 0 or a negative errno for a 15-bit CQE status field. */
export function nvmeTranslateError(status: number): number {
  const sc = nvmeStatusSc(status);
  const sct = nvmeStatusSct(status);
  if (sct === NvmeSct.GENERIC) {
    if (sc === NvmeGenericStatus.SUCCESS) return 0;
    if (sc === NvmeGenericStatus.INVALID_OPCODE) return -Errno.ENOSYS;
    if (sc === NvmeGenericStatus.INVALID_FIELD) return -Errno.EINVAL;
  }
  return -Errno.EIO;
}
