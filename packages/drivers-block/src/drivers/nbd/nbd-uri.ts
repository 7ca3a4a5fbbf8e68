/**
 * NBD filenames as QEMU's block/nbd.c takes them, turned into the driver's
 * options: nbd://host[:port]/export (also nbd+tcp://), nbd+unix:///export?socket=path,
 * and the legacy nbd:host:port[:exportname=name] / nbd:unix:path[:exportname=name].
 * Messages are QEMU's.
 */
import { InvalidFilenameError } from '../../block/errors.js';
import { NBD_DEFAULT_PORT } from '../../nbd/constants.js';
import type { NbdServerAddress } from './nbd-client.js';

/** Options parsed from a filename (flat, dotted keys). */
export type NbdFilenameOptions = Record<string, string | number>;

function bad(message: string): never {
  throw new InvalidFilenameError(message, 22);
}

function parseUri(filename: string): NbdFilenameOptions {
  let url: URL;
  try {
    url = new URL(filename);
  } catch {
    return bad('No valid URL specified');
  }
  const scheme = url.protocol.slice(0, -1);
  let unix: boolean;
  if (scheme === 'nbd' || scheme === 'nbd+tcp') unix = false;
  else if (scheme === 'nbd+unix') unix = true;
  else return bad('No valid URL specified');
  const path = decodeURIComponent(url.pathname);
  const exportName = path.startsWith('/') ? path.slice(1) : path;
  const opts: NbdFilenameOptions = {};
  if (exportName !== '') opts['export'] = exportName;
  const params = [...url.searchParams.entries()];
  if (unix) {
    if (url.hostname !== '' || url.port !== '') return bad('No valid URL specified');
    if (params.length !== 1 || params[0]?.[0] !== 'socket') return bad('No valid URL specified');
    opts['server.type'] = 'unix';
    opts['server.path'] = params[0][1];
  } else {
    if (params.length !== 0) return bad('No valid URL specified');
    if (url.hostname === '') return bad('No valid URL specified');
    opts['server.type'] = 'inet';
    opts['server.host'] = url.hostname.replace(/^\[|\]$/g, '');
    opts['server.port'] = url.port !== '' ? Number(url.port) : NBD_DEFAULT_PORT;
  }
  return opts;
}

function parseLegacy(filename: string): NbdFilenameOptions {
  const rest = filename.slice('nbd:'.length);
  const opts: NbdFilenameOptions = {};
  let spec = rest;
  const ex = rest.indexOf(':exportname=');
  if (ex >= 0) {
    opts['export'] = rest.slice(ex + ':exportname='.length);
    spec = rest.slice(0, ex);
  }
  if (spec.startsWith('unix:')) {
    opts['server.type'] = 'unix';
    opts['server.path'] = spec.slice('unix:'.length);
    return opts;
  }
  const colon = spec.lastIndexOf(':');
  const host = colon >= 0 ? spec.slice(0, colon) : spec;
  const port = colon >= 0 ? spec.slice(colon + 1) : String(NBD_DEFAULT_PORT);
  if (host === '' || !/^[0-9]+$/.test(port)) return bad('No valid URL specified');
  opts['server.type'] = 'inet';
  opts['server.host'] = host.replace(/^\[|\]$/g, '');
  opts['server.port'] = Number(port);
  return opts;
}

/** bdrv_parse_filename for nbd. */
export function parseNbdFilename(filename: string): NbdFilenameOptions {
  return filename.includes('://') ? parseUri(filename) : filename.startsWith('nbd:') ? parseLegacy(filename) : bad('No valid URL specified');
}

/** nbd://host:port/export or nbd+unix:///export?socket=path, as QEMU prints it. */
export function nbdFilename(a: NbdServerAddress, exportName: string): string {
  const ex = exportName === '' ? '' : `/${exportName}`;
  if (a.type === 'unix') return `nbd+unix://${ex}?socket=${a.path}`;
  const host = a.host.includes(':') ? `[${a.host}]` : a.host;
  return `nbd://${host}:${a.port}${ex}`;
}
