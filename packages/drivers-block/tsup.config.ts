import { defineConfig } from 'tsup';
import { qcoPackage } from '../../tsup.shared.js';

// The package (dist/, published) and its benchmark modules (dist-bench/, never published).
export default [
  qcoPackage(
    {
      index: 'src/index.ts',
      'qco-io': 'src/bin/qco-io.ts',
      'qco-img': 'src/bin/qco-img.ts',
      'qco-nbd': 'src/bin/qco-nbd.ts',
    },
    // ESM chunks keep what a driver loads on open (ssh2, the NFS codecs) out of start-up.
    { shims: true, splitting: true, dts: { compilerOptions: { stripInternal: true } } },
  ),
  defineConfig({
    entry: {
      'block.bench': 'bench/block.bench.ts',
      'nvme.bench': 'bench/nvme.bench.ts',
      'ssh.bench': 'bench/ssh.bench.ts',
      'nfs.bench': 'bench/nfs.bench.ts',
    },
    outDir: 'dist-bench',
    format: ['esm'],
    clean: true,
    sourcemap: true,
    target: 'node20',
    shims: true,
  }),
];
