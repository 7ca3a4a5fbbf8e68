import { qcoPackage } from '../../tsup.shared.js';

// The package (dist/, published). Its benchmark modules (bench/) are bundled by
// qco-perf into .qco-bench/ when a run starts, never built into dist/.
export default qcoPackage(
  {
    index: 'src/index.ts',
    nbd: 'src/nbd.ts',
    'vhost-user-blk': 'src/vhost-user-blk.ts',
    'qco-io': 'src/bin/qco-io.ts',
    'qco-img': 'src/bin/qco-img.ts',
    'qco-nbd': 'src/bin/qco-nbd.ts',
    'qco-storage-daemon': 'src/bin/qco-storage-daemon.ts',
  },
  // ESM chunks keep what a driver loads on open (ssh2, the NFS codecs) out of start-up.
  // json-pack's codecs are bundled into the nfs chunk: as its ~50 separate CommonJS
  // files they cost more to resolve and load than a whole 256 MiB nfs read takes.
  { shims: true, splitting: true, noExternal: [/^@jsonjoy\.com\//], dts: { compilerOptions: { stripInternal: true } } },
);
