/**
 * The vhost-user native addon (native/vhost-user.c): fd passing over the unix
 * socket, shared mappings of the front-end's memory, eventfds and libuv poll
 * handles. Loaded once, lazily; `vhostUserAddon()` throws a clear error when the
 * addon did not build on this machine, since the export cannot work without it.
 */
import { fileURLToPath } from 'node:url';
import { findPackageDir, loadAddon } from '@qco/native-common';

/** What the addon exports (every call checks its arguments and throws a TypeError-like Error on misuse). */
export interface VhostUserAddon {
  /** A non-blocking listening socket bound at `path`, or -errno. */
  listen(path: string): number;
  /** A connected non-blocking socket, or -errno. */
  connect(path: string): number;
  /** A non-blocking connection, or -errno (-EAGAIN when none waits). */
  accept(fd: number): number;
  /** One recvmsg into `buf`: [bytes (0 at EOF, -errno), ...received fds]. */
  recv(fd: number, buf: Uint8Array): number[];
  /** One sendmsg of `buf` with optional fds: bytes sent or -errno. */
  send(fd: number, buf: Uint8Array, fds?: number[]): number;
  /** close(2): 0 or -errno. */
  close(fd: number): number;
  /** A non-blocking eventfd, or -errno. */
  eventfd(): number;
  /** Add 1 to an eventfd: 0 or -errno. */
  eventfdWrite(fd: number): number;
  /** Read (and reset) an eventfd: its counter, or -errno. */
  eventfdRead(fd: number): number;
  /** A memfd of `size` bytes, or -errno. */
  memfd(size: number): number;
  /** A MAP_SHARED read-write mapping as an ArrayBuffer (throws with the errno text). */
  mmap(fd: number, size: number, offset: number): ArrayBuffer;
  /** Detach then unmap a mapping made by mmap; false when it is not a live one. */
  munmap(buf: ArrayBuffer): boolean;
  /** Call `cb(status)` when `fd` is readable; `drainEventfd` reads the eventfd first. */
  watch(fd: number, cb: (status: number) => void, drainEventfd?: boolean): object;
  /** Stop a watch (idempotent). */
  unwatch(handle: object): void;
}

/** The vhost-user export needs the native addon and it is not built here. */
export class VhostUserAddonMissingError extends Error {
  constructor(reason: string) {
    super(`vhost-user-blk export is not available: the qco_vhost_user addon did not build (${reason})`);
    this.name = 'VhostUserAddonMissingError';
  }
}

let addon: VhostUserAddon | undefined;

/** The loaded addon (throws VhostUserAddonMissingError when it is not built). */
export function vhostUserAddon(): VhostUserAddon {
  if (addon !== undefined) return addon;
  if (process.platform !== 'linux') throw new VhostUserAddonMissingError('vhost-user needs Linux');
  // qco's one addon loader: addon/abi<N>/qco_vhost_user.node, built at install.
  const l = loadAddon<VhostUserAddon>(findPackageDir(fileURLToPath(import.meta.url)), 'qco_vhost_user');
  if (l.addon === null) throw new VhostUserAddonMissingError('reason' in l ? l.reason : 'not built');
  addon = l.addon;
  return addon;
}
