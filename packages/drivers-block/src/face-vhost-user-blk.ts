/**
 * @qco/drivers-block/vhost-user-blk — the vhost-user-blk export (the library
 * face of qco-storage-daemon's `--export type=vhost-user-blk`): a virtio-blk
 * device served to a guest over a unix socket. Importing it loads the virtio
 * device logic; its native addon loads when an export starts.
 */
export {
  LogicalBlockSizeError,
  startVhostUserBlkExport,
  type VhostUserBlkExport,
  type VhostUserBlkExportOptions,
} from './exports/vhost-user-blk/vhost-user-blk-export.js';
export type { VhostUserStats } from './exports/vhost-user-blk/vhost-user-server.js';
export type { VirtioBlkRequestCounts } from './exports/vhost-user-blk/virtio-blk.js';
export { VhostUserAddonMissingError } from './exports/vhost-user-blk/vhost-user-addon.js';
