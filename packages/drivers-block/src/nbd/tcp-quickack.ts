/**
 * Prompt TCP acknowledgements for the NBD handshake (the qco_tcp_quickack
 * addon, built at install; absent, or not Linux: nothing is done). A server
 * that writes one option reply in pieces without TCP_NODELAY holds each later
 * piece until the first is acknowledged, and Linux delays that by 40 ms while
 * the exchange looks interactive: against qemu-nbd 7.2 twice per connection,
 * ≈ 85 ms of a client's start. The kernel returns to delayed acknowledgements
 * by itself, so the transfer that follows keeps its cheaper ACK pattern.
 */
import { fileURLToPath } from 'node:url';
import type { Socket } from 'node:net';
import { findPackageDir, loadAddon } from '@qco/native-common';

interface QuickAckAddon {
  quickAck(fd: number): number;
}

let addon: QuickAckAddon | null | undefined;

/** Ask the kernel to acknowledge what `socket` receives next at once; a no-op without the addon, for a non-TCP socket, or one without a descriptor. */
export function tcpQuickAck(socket: Socket): void {
  if (addon === undefined) addon = process.platform === 'linux' ? loadAddon<QuickAckAddon>(findPackageDir(fileURLToPath(import.meta.url)), 'qco_tcp_quickack').addon : null;
  // net.Socket keeps its descriptor on the handle it wraps (TCPWrap); there is no public accessor.
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (addon !== null && typeof fd === 'number' && fd >= 0) addon.quickAck(fd);
}
