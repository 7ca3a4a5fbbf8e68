/**
 * NBD protocol numbers (the NBD project's doc/proto.md): magics, handshake and
 * transmission flags, options and their replies, commands, structured reply
 * chunk types, error values and the `base:allocation` state bits. Shared by the
 * server (exports/nbd) and the client driver (drivers/nbd); nothing here knows
 * either side.
 */

/** 'NBDMAGIC', the first 8 bytes a server sends. */
export const NBD_INIT_MAGIC = 0x4e42444d41474943n;
/** 'IHAVEOPT': newstyle negotiation, also the magic of every option request. */
export const NBD_OPTS_MAGIC = 0x49484156454f5054n;
/** Oldstyle negotiation magic (we never serve oldstyle; the client refuses it). */
export const NBD_CLIENT_MAGIC = 0x00420281861253n;
/** Magic of every option reply. */
export const NBD_REP_MAGIC = 0x3e889045565a9n;
/** Transmission request magic. */
export const NBD_REQUEST_MAGIC = 0x25609513;
/** Simple reply magic. */
export const NBD_SIMPLE_REPLY_MAGIC = 0x67446698;
/** Structured reply chunk magic. */
export const NBD_STRUCTURED_REPLY_MAGIC = 0x668e33ef;

/** Handshake flags (server, 16 bits). */
export const NBD_FLAG_FIXED_NEWSTYLE = 1 << 0;
/** Server will skip the 124 zero bytes after NBD_OPT_EXPORT_NAME if the client agrees. */
export const NBD_FLAG_NO_ZEROES = 1 << 1;
/** Client flags (32 bits). */
export const NBD_FLAG_C_FIXED_NEWSTYLE = 1 << 0;
/** Client agrees to NBD_FLAG_NO_ZEROES. */
export const NBD_FLAG_C_NO_ZEROES = 1 << 1;

/** Transmission flags (16 bits). */
export const NBD_FLAG_HAS_FLAGS = 1 << 0;
/** Export is read-only. */
export const NBD_FLAG_READ_ONLY = 1 << 1;
/** NBD_CMD_FLUSH understood. */
export const NBD_FLAG_SEND_FLUSH = 1 << 2;
/** NBD_CMD_FLAG_FUA understood. */
export const NBD_FLAG_SEND_FUA = 1 << 3;
/** Rotational medium hint. */
export const NBD_FLAG_ROTATIONAL = 1 << 4;
/** NBD_CMD_TRIM understood. */
export const NBD_FLAG_SEND_TRIM = 1 << 5;
/** NBD_CMD_WRITE_ZEROES understood. */
export const NBD_FLAG_SEND_WRITE_ZEROES = 1 << 6;
/** NBD_CMD_FLAG_DF understood (structured replies only). */
export const NBD_FLAG_SEND_DF = 1 << 7;
/** Flush/FUA effects are visible on every connection. */
export const NBD_FLAG_CAN_MULTI_CONN = 1 << 8;
/** NBD_CMD_RESIZE (experimental). */
export const NBD_FLAG_SEND_RESIZE = 1 << 9;
/** NBD_CMD_CACHE understood. */
export const NBD_FLAG_SEND_CACHE = 1 << 10;
/** NBD_CMD_FLAG_FAST_ZERO understood. */
export const NBD_FLAG_SEND_FAST_ZERO = 1 << 11;

/** Option types. */
export const NBD_OPT_EXPORT_NAME = 1;
/** Abort negotiation. */
export const NBD_OPT_ABORT = 2;
/** List exports. */
export const NBD_OPT_LIST = 3;
/** Withdrawn. */
export const NBD_OPT_PEEK_EXPORT = 4;
/** Upgrade to TLS. */
export const NBD_OPT_STARTTLS = 5;
/** Export details without entering transmission. */
export const NBD_OPT_INFO = 6;
/** Export details, then transmission. */
export const NBD_OPT_GO = 7;
/** Use structured replies. */
export const NBD_OPT_STRUCTURED_REPLY = 8;
/** List metadata contexts. */
export const NBD_OPT_LIST_META_CONTEXT = 9;
/** Select metadata contexts. */
export const NBD_OPT_SET_META_CONTEXT = 10;
/** Extended headers (experimental; we answer UNSUP). */
export const NBD_OPT_EXTENDED_HEADERS = 11;

/** Option reply types. */
export const NBD_REP_ACK = 1;
/** One export in a LIST reply. */
export const NBD_REP_SERVER = 2;
/** One NBD_INFO_* item. */
export const NBD_REP_INFO = 3;
/** One metadata context. */
export const NBD_REP_META_CONTEXT = 4;
const ERR = 0x80000000;
/** Errors have bit 31 set. */
export const NBD_REP_FLAG_ERROR = ERR;
/** Unknown option. */
export const NBD_REP_ERR_UNSUP = (ERR | 1) >>> 0;
/** Forbidden by policy. */
export const NBD_REP_ERR_POLICY = (ERR | 2) >>> 0;
/** Syntactically or semantically invalid. */
export const NBD_REP_ERR_INVALID = (ERR | 3) >>> 0;
/** Not on this platform. */
export const NBD_REP_ERR_PLATFORM = (ERR | 4) >>> 0;
/** TLS first. */
export const NBD_REP_ERR_TLS_REQD = (ERR | 5) >>> 0;
/** No such export. */
export const NBD_REP_ERR_UNKNOWN = (ERR | 6) >>> 0;
/** Server shutting down. */
export const NBD_REP_ERR_SHUTDOWN = (ERR | 7) >>> 0;
/** Client must ask for block sizes. */
export const NBD_REP_ERR_BLOCK_SIZE_REQD = (ERR | 8) >>> 0;
/** Too big. */
export const NBD_REP_ERR_TOO_BIG = (ERR | 9) >>> 0;

/** NBD_INFO_* items of NBD_REP_INFO. */
export const NBD_INFO_EXPORT = 0;
/** Canonical name. */
export const NBD_INFO_NAME = 1;
/** Description. */
export const NBD_INFO_DESCRIPTION = 2;
/** Minimum / preferred / maximum block sizes. */
export const NBD_INFO_BLOCK_SIZE = 3;

/** Commands. */
export const NBD_CMD_READ = 0;
/** Write the payload. */
export const NBD_CMD_WRITE = 1;
/** Soft disconnect. */
export const NBD_CMD_DISC = 2;
/** Flush. */
export const NBD_CMD_FLUSH = 3;
/** Discard (advisory). */
export const NBD_CMD_TRIM = 4;
/** Prefetch. */
export const NBD_CMD_CACHE = 5;
/** Write zeroes without a payload. */
export const NBD_CMD_WRITE_ZEROES = 6;
/** Metadata query. */
export const NBD_CMD_BLOCK_STATUS = 7;
/** Resize (experimental, not served). */
export const NBD_CMD_RESIZE = 8;

/** Command flags. */
export const NBD_CMD_FLAG_FUA = 1 << 0;
/** WRITE_ZEROES must not punch a hole. */
export const NBD_CMD_FLAG_NO_HOLE = 1 << 1;
/** READ: one content chunk only. */
export const NBD_CMD_FLAG_DF = 1 << 2;
/** BLOCK_STATUS: one extent per context. */
export const NBD_CMD_FLAG_REQ_ONE = 1 << 3;
/** WRITE_ZEROES: fail with ENOTSUP unless fast. */
export const NBD_CMD_FLAG_FAST_ZERO = 1 << 4;

/** Structured reply flag: last chunk. */
export const NBD_REPLY_FLAG_DONE = 1 << 0;
/** Chunk types. */
export const NBD_REPLY_TYPE_NONE = 0;
/** Data at an offset. */
export const NBD_REPLY_TYPE_OFFSET_DATA = 1;
/** Zeroes at an offset. */
export const NBD_REPLY_TYPE_OFFSET_HOLE = 2;
/** Extents of one context. */
export const NBD_REPLY_TYPE_BLOCK_STATUS = 5;
/** Error chunks have bit 15 set. */
export const NBD_REPLY_TYPE_ERROR_BIT = 1 << 15;
/** Error. */
export const NBD_REPLY_TYPE_ERROR = NBD_REPLY_TYPE_ERROR_BIT | 1;
/** Error at an offset. */
export const NBD_REPLY_TYPE_ERROR_OFFSET = NBD_REPLY_TYPE_ERROR_BIT | 2;

/** Error values on the wire (not the host's errno). */
export const NBD_SUCCESS = 0;
/** Operation not permitted. */
export const NBD_EPERM = 1;
/** Input/output error. */
export const NBD_EIO = 5;
/** Cannot allocate memory. */
export const NBD_ENOMEM = 12;
/** Invalid argument. */
export const NBD_EINVAL = 22;
/** No space left. */
export const NBD_ENOSPC = 28;
/** Value too large. */
export const NBD_EOVERFLOW = 75;
/** Not supported. */
export const NBD_ENOTSUP = 95;
/** Shutting down. */
export const NBD_ESHUTDOWN = 108;

/** base:allocation state bits. */
export const NBD_STATE_HOLE = 1 << 0;
/** Reads as zeroes. */
export const NBD_STATE_ZERO = 1 << 1;

/** The metadata contexts we know. */
export const BASE_ALLOCATION = 'base:allocation';
/** QEMU's allocation depth context (the number of the backing layer a block comes from, 0 = unallocated). */
export const QEMU_ALLOCATION_DEPTH = 'qemu:allocation-depth';

/** Default TCP port (IANA). */
export const NBD_DEFAULT_PORT = 10809;
/** Largest payload we send or accept in one request (QEMU's NBD_MAX_BUFFER_SIZE). */
export const NBD_MAX_BUFFER_SIZE = 32 * 1024 * 1024;
/** Longest export name or string (proto.md: 4096 bytes). */
export const NBD_MAX_STRING_SIZE = 4096;
/** Largest option payload the server reads (anything bigger drops the connection). */
export const NBD_MAX_OPTION_SIZE = 64 * 1024;
/** Requests a server works on at once per client (QEMU's NBD_MAX_REQUESTS). */
export const NBD_MAX_REQUESTS = 16;

/** Size of a transmission request header. */
export const NBD_REQUEST_SIZE = 28;
/** Size of a simple reply header. */
export const NBD_SIMPLE_REPLY_SIZE = 16;
/** Size of a structured reply chunk header. */
export const NBD_STRUCTURED_REPLY_SIZE = 20;

/** Names for messages and traces. */
export const NBD_OPT_NAMES: Readonly<Record<number, string>> = {
  1: 'export name',
  2: 'abort',
  3: 'list',
  4: 'peek export',
  5: 'starttls',
  6: 'info',
  7: 'go',
  8: 'structured reply',
  9: 'list meta context',
  10: 'set meta context',
  11: 'extended headers',
};

/** Command names for messages. */
export const NBD_CMD_NAMES: Readonly<Record<number, string>> = {
  0: 'read',
  1: 'write',
  2: 'discard',
  3: 'flush',
  4: 'trim',
  5: 'cache',
  6: 'write zeroes',
  7: 'block status',
  8: 'resize',
};
