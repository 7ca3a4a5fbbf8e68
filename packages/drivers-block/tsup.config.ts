import { qcoPackage } from '../../tsup.shared.js';

// Two builds into dist/ (published); `pnpm build` empties dist/ first. The
// library's faces are one build and the commands another, so the chunks a
// library consumer loads are cut only by what the faces share with each other
// and with what their drivers load on open (ssh2, the NFS codecs, the NBD
// client), not by every subset the four commands happen to share: fewer files
// to resolve at import. The commands are CommonJS executables (package.json
// "bin"). Benchmark modules (bench/) are bundled by qco-perf into .qco-bench/
// when a run starts, never built into dist/.
// json-pack's codecs are bundled into the nfs chunk: as its ~50 separate CommonJS
// files they cost more to resolve and load than a whole 256 MiB nfs read takes.
// The commands also carry @qco/core (with the default backend and the native
// glue) as CommonJS of their own: loaded through require(esm) it was 11 ms of
// qco-img's start, and only CommonJS goes through the commands' code cache
// (src/bin/compile-cache.ts). A command's process holds no other core, and
// @qco/backend-api stays shared with the backends QCO_BACKEND loads.
const shared = { shims: true, splitting: true, clean: false, noExternal: [/^@jsonjoy\.com\//] };

export default [
  qcoPackage(
    { index: 'src/index.ts', nbd: 'src/face-nbd.ts', 'vhost-user-blk': 'src/face-vhost-user-blk.ts' },
    { ...shared, dts: { compilerOptions: { stripInternal: true } } },
  ),
  qcoPackage(
    {
      'qco-io': 'src/bin/qco-io.ts',
      'qco-img': 'src/bin/qco-img.ts',
      'qco-nbd': 'src/bin/qco-nbd.ts',
      'qco-storage-daemon': 'src/bin/qco-storage-daemon.ts',
    },
    { ...shared, format: ['cjs'], dts: false, noExternal: [...shared.noExternal, /^@qco\/(core|native-common|backend-generator)(\/|$)/] },
  ),
];
