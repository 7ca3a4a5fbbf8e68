/**
 * vhost-user wire format (QEMU's docs/interop/vhost-user.rst): a 12-byte
 * header (request, flags, payload size, all little-endian u32) followed by the
 * payload; descriptors travel as SCM_RIGHTS ancillary data with the header.
 * Request numbers, flags and feature bits are the spec's.
 */

/** Front-end requests (VHOST_USER_*). */
export enum VhostUserRequest {
  GET_FEATURES = 1,
  SET_FEATURES = 2,
  SET_OWNER = 3,
  RESET_OWNER = 4,
  SET_MEM_TABLE = 5,
  SET_LOG_BASE = 6,
  SET_LOG_FD = 7,
  SET_VRING_NUM = 8,
  SET_VRING_ADDR = 9,
  SET_VRING_BASE = 10,
  GET_VRING_BASE = 11,
  SET_VRING_KICK = 12,
  SET_VRING_CALL = 13,
  SET_VRING_ERR = 14,
  GET_PROTOCOL_FEATURES = 15,
  SET_PROTOCOL_FEATURES = 16,
  GET_QUEUE_NUM = 17,
  SET_VRING_ENABLE = 18,
  GET_CONFIG = 24,
  SET_CONFIG = 25,
  RESET_DEVICE = 34,
  GET_MAX_MEM_SLOTS = 36,
}

/** Header size in bytes. */
export const VHOST_USER_HDR_SIZE = 12;
/** Protocol version in the low two flag bits. */
export const VHOST_USER_VERSION = 0x1;
/** Flag: this message is a reply. */
export const VHOST_USER_REPLY_MASK = 0x4;
/** Flag: the front-end wants an ack (with REPLY_ACK). */
export const VHOST_USER_NEED_REPLY_MASK = 0x8;
/** The largest payload we accept: bigger ones come only from a broken or hostile front-end. */
export const VHOST_USER_MAX_PAYLOAD = 4096;
/** Regions a SET_MEM_TABLE may carry (VHOST_MEMORY_BASELINE_NREGIONS). */
export const VHOST_MEMORY_BASELINE_NREGIONS = 8;
/** The largest virtio config space GET_CONFIG may ask for (VHOST_USER_MAX_CONFIG_SIZE). */
export const VHOST_USER_MAX_CONFIG_SIZE = 256;
/** SET_VRING_KICK/CALL/ERR: no descriptor comes with this message. */
export const VHOST_USER_VRING_NOFD_MASK = 0x100;
/** SET_VRING_KICK/CALL/ERR: the queue index bits. */
export const VHOST_USER_VRING_IDX_MASK = 0xff;

/** Virtio feature bits shared by every device (as bigint bit masks). */
export const VIRTIO_F_NOTIFY_ON_EMPTY = 1n << 24n;
export const VIRTIO_RING_F_INDIRECT_DESC = 1n << 28n;
export const VIRTIO_RING_F_EVENT_IDX = 1n << 29n;
export const VHOST_USER_F_PROTOCOL_FEATURES = 1n << 30n;
export const VIRTIO_F_VERSION_1 = 1n << 32n;

/** Protocol feature bits (VHOST_USER_PROTOCOL_F_*). */
export const VHOST_USER_PROTOCOL_F_MQ = 1n << 0n;
export const VHOST_USER_PROTOCOL_F_REPLY_ACK = 1n << 3n;
export const VHOST_USER_PROTOCOL_F_CONFIG = 1n << 9n;

/** One parsed message. */
export interface VhostUserMsg {
  readonly request: number;
  readonly flags: number;
  readonly payload: DataView;
  /** Descriptors that came with it; whoever handles the message closes or keeps them. */
  readonly fds: number[];
}

/** Encode a reply to `request` with `payload`. */
export function encodeReply(request: number, payload: Uint8Array): Uint8Array {
  return encodeRequest(request, payload, VHOST_USER_REPLY_MASK);
}

/** Encode a message: a front-end's request (tests play the front-end with it), or with VHOST_USER_REPLY_MASK in `flags` a reply. */
export function encodeRequest(request: number, payload: Uint8Array, flags = 0): Uint8Array {
  const out = new Uint8Array(VHOST_USER_HDR_SIZE + payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, request, true);
  dv.setUint32(4, VHOST_USER_VERSION | flags, true);
  dv.setUint32(8, payload.length, true);
  out.set(payload, VHOST_USER_HDR_SIZE);
  return out;
}

/** A little-endian u64 payload. */
export function u64Payload(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  return b;
}

/** A vhost_vring_state payload { index, num }. */
export function vringStatePayload(index: number, num: number): Uint8Array {
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, index, true);
  dv.setUint32(4, num, true);
  return b;
}

/** A u64 from a payload as a safe integer, or -1 when it is not one. */
export function readSafeU64(dv: DataView, at: number): number {
  const v = dv.getBigUint64(at, true);
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : -1;
}
