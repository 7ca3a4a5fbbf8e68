/**
 * The parts of the NVMe 1.4 base specification that the emulated controller and
 * the driver both speak: register offsets in BAR0 (§3.1), the 64-byte submission
 * and 16-byte completion queue entries (§4.2, §4.6), opcodes (§5, §6) and status
 * codes (§4.6.1.2). Kept in one file so both sides read the same numbers, the way
 * QEMU's driver and its emulated device share include/block/nvme.h.
 */

/** BAR0 register byte offsets (NVMe 1.4 §3.1). */
export const NvmeReg = {
  CAP: 0x00,
  VS: 0x08,
  INTMS: 0x0c,
  INTMC: 0x10,
  CC: 0x14,
  CSTS: 0x1c,
  NSSR: 0x20,
  AQA: 0x24,
  ASQ: 0x28,
  ACQ: 0x30,
  /** First doorbell; SQyTDBL = 0x1000 + (2y)·(4 << CAP.DSTRD), CQyHDBL = 0x1000 + (2y+1)·(4 << CAP.DSTRD). */
  DOORBELLS: 0x1000,
} as const;

/** Size of the BAR the driver maps (QEMU maps 8 KiB). */
export const NVME_BAR_SIZE = 8192;

/** CC (controller configuration) fields. */
export const NvmeCc = {
  EN: 1 << 0,
  /** SHN, bits 15:14: 01b normal shutdown. */
  SHN_SHIFT: 14,
  IOSQES_SHIFT: 16,
  IOCQES_SHIFT: 20,
  MPS_SHIFT: 7,
} as const;

/** CSTS (controller status) fields. */
export const NvmeCsts = {
  RDY: 1 << 0,
  CFS: 1 << 1,
  /** SHST bits 3:2; 10b = shutdown processing complete. */
  SHST_COMPLETE: 2 << 2,
} as const;

/** Submission queue entry size (bytes). */
export const NVME_SQ_ENTRY_BYTES = 64;
/** Completion queue entry size (bytes). */
export const NVME_CQ_ENTRY_BYTES = 16;
/** Logical block size of the emulated namespace (LBADS = 9). */
export const NVME_LBA_BYTES = 512;
/** Memory page size (CC.MPS = 0 → 4 KiB). */
export const NVME_PAGE_SIZE = 4096;

/** Byte offsets inside a submission queue entry. */
export const Sqe = {
  /** CDW0: opcode in bits 7:0, CID in 31:16. */
  CDW0: 0,
  NSID: 4,
  MPTR: 16,
  PRP1: 24,
  PRP2: 32,
  CDW10: 40,
  CDW11: 44,
  CDW12: 48,
  CDW13: 52,
  CDW14: 56,
  CDW15: 60,
} as const;

/** Byte offsets inside a completion queue entry. */
export const Cqe = {
  /** DW0: command specific result. */
  RESULT: 0,
  /** DW2: SQ head pointer (15:0) and SQ identifier (31:16). */
  SQHD_SQID: 8,
  /** DW3: CID (15:0), phase tag (16), status field (31:17). */
  CID_STATUS: 12,
} as const;

/** Admin command opcodes (§5). */
export const NvmeAdminOpcode = {
  DELETE_IO_SQ: 0x00,
  CREATE_IO_SQ: 0x01,
  DELETE_IO_CQ: 0x04,
  CREATE_IO_CQ: 0x05,
  IDENTIFY: 0x06,
  SET_FEATURES: 0x09,
  GET_FEATURES: 0x0a,
} as const;

/** NVM command set I/O opcodes (§6). */
export const NvmeIoOpcode = {
  FLUSH: 0x00,
  WRITE: 0x01,
  READ: 0x02,
  WRITE_ZEROES: 0x08,
  DATASET_MANAGEMENT: 0x09,
} as const;

/** Identify CNS values (CDW10 bits 7:0). */
export const NvmeIdentifyCns = {
  NAMESPACE: 0x00,
  CONTROLLER: 0x01,
  ACTIVE_NS_LIST: 0x02,
} as const;

/** Feature identifiers used here. */
export const NvmeFeature = {
  VOLATILE_WRITE_CACHE: 0x06,
  NUMBER_OF_QUEUES: 0x07,
  /** Interrupt Coalescing (§5.21.1.8): CDW11 bits 7:0 aggregation threshold (0's based), 15:8 aggregation time (100 µs units). */
  INTERRUPT_COALESCING: 0x08,
} as const;

/** Status code types (SCT, status field bits 10:8). */
export const NvmeSct = {
  GENERIC: 0,
  COMMAND_SPECIFIC: 1,
  MEDIA: 2,
} as const;

/** Generic command status codes (SCT 0). */
export const NvmeGenericStatus = {
  SUCCESS: 0x00,
  INVALID_OPCODE: 0x01,
  INVALID_FIELD: 0x02,
  CID_CONFLICT: 0x03,
  DATA_TRANSFER_ERROR: 0x04,
  ABORTED_POWER_LOSS: 0x05,
  INTERNAL_ERROR: 0x06,
  ABORT_REQUESTED: 0x07,
  ABORTED_SQ_DELETION: 0x08,
  INVALID_NAMESPACE: 0x0b,
  LBA_OUT_OF_RANGE: 0x80,
  CAPACITY_EXCEEDED: 0x81,
  NAMESPACE_NOT_READY: 0x82,
} as const;

/** Command specific status codes (SCT 1) of the queue management commands. */
export const NvmeCommandStatus = {
  COMPLETION_QUEUE_INVALID: 0x00,
  INVALID_QUEUE_IDENTIFIER: 0x01,
  INVALID_QUEUE_SIZE: 0x02,
  INVALID_INTERRUPT_VECTOR: 0x08,
  INVALID_QUEUE_DELETION: 0x0c,
} as const;

/** Media and data integrity errors (SCT 2). */
export const NvmeMediaStatus = {
  WRITE_FAULT: 0x80,
  UNRECOVERED_READ_ERROR: 0x81,
} as const;

/**
 * The 15-bit status field of a CQE (DW3 bits 31:17) from its parts:
 * SC in bits 7:0, SCT in 10:8, DNR in 14.
 */
export function nvmeStatusField(sct: number, sc: number, dnr = false): number {
  return ((sct & 0x7) << 8) | (sc & 0xff) | (dnr ? 1 << 14 : 0);
}

/** Status code (SC) of a 15-bit status field. */
export function nvmeStatusSc(status: number): number {
  return status & 0xff;
}

/** Status code type (SCT) of a 15-bit status field. */
export function nvmeStatusSct(status: number): number {
  return (status >> 8) & 0x7;
}

/** Offset of a queue's doorbell in BAR0 (§3.1.24, §3.1.25) for a doorbell stride `dstrd`. */
export function nvmeDoorbellOffset(qid: number, completion: boolean, dstrd = 0): number {
  return NvmeReg.DOORBELLS + (2 * qid + (completion ? 1 : 0)) * (4 << dstrd);
}
