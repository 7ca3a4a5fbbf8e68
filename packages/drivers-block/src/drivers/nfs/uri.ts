/**
 * nfs:// URIs as QEMU's block/nfs.c reads them:
 * nfs://host[:port]/export/path/file?uid=&gid=&tcp-syn-cnt=&readahead-size=&page-cache-size=&debug=
 * turned into the driver's options (server.host, server.port, path, user,
 * group, tcp-syn-count, readahead-size, page-cache-size, debug). Every query
 * parameter needs an unsigned integer value and an unknown one is refused by
 * name, with QEMU's messages. QEMU's older spellings (tcp-syncnt, readahead,
 * pagecache) are accepted too, so URIs written for qemu-img work here.
 */
import { InvalidFilenameError } from '../../block/errors.js';

/** A filename the nfs driver cannot take; `message` is QEMU's wording (EINVAL). */
export class NfsUriError extends InvalidFilenameError {
  override name = 'NfsUriError';
  constructor(message: string) {
    super(message, 22);
  }
}

const PARAMS: Readonly<Record<string, string>> = {
  uid: 'user',
  gid: 'group',
  'tcp-syn-cnt': 'tcp-syn-count',
  'tcp-syncnt': 'tcp-syn-count',
  'readahead-size': 'readahead-size',
  readahead: 'readahead-size',
  'page-cache-size': 'page-cache-size',
  pagecache: 'page-cache-size',
  debug: 'debug',
};

/** Options parsed from an nfs:// URI, flat with dotted keys as the block layer wants them. */
export type NfsUriOptions = Record<string, string | number>;

/** Parse an unsigned integer the way QEMU's parse_uint_full does (decimal, 0x hex, 0 octal). */
function parseUint(s: string): number | undefined {
  if (!/^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.test(s)) return undefined;
  const v = s.length > 1 && s[0] === '0' && s[1] !== 'x' && s[1] !== 'X' ? parseInt(s, 8) : Number(s);
  return Number.isSafeInteger(v) ? v : undefined;
}

/** bdrv_parse_filename for nfs: throws NfsUriError with QEMU's message. */
export function parseNfsUri(filename: string): NfsUriOptions {
  let url: URL;
  try {
    url = new URL(filename);
  } catch {
    throw new NfsUriError('Invalid URI specified');
  }
  if (url.protocol !== 'nfs:') throw new NfsUriError("URI scheme must be 'nfs'");
  if (url.hostname === '') throw new NfsUriError('missing hostname in URI');
  const path = decodeURIComponent(url.pathname);
  if (path === '') throw new NfsUriError('missing file path in URI');
  const opts: NfsUriOptions = { 'server.host': url.hostname.replace(/^\[|\]$/g, ''), 'server.type': 'inet', path };
  if (url.port !== '') opts['server.port'] = Number(url.port);
  const query = url.search.startsWith('?') ? url.search.slice(1) : '';
  if (query !== '') {
    for (const part of query.split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      const name = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
      if (name === '') throw new NfsUriError('Failed to parse NFS parameter');
      if (eq < 0) throw new NfsUriError(`Value for NFS parameter expected: ${name}`);
      const value = parseUint(decodeURIComponent(part.slice(eq + 1)));
      if (value === undefined) throw new NfsUriError(`Illegal value for NFS parameter: ${name}`);
      const key = Object.hasOwn(PARAMS, name) ? PARAMS[name] : undefined;
      if (key === undefined) throw new NfsUriError(`Unknown NFS parameter name: ${name}`);
      opts[key] = value;
    }
  }
  return opts;
}
