import { qcoPackage } from '../../tsup.shared.js';

// The bench module imports the core by its own package name and keeps it external,
// so in a benchmark child it shares the harness's core instance.
export default qcoPackage(
  { index: 'src/index.ts', qemu: 'src/qemu.ts', 'bench/aio.bench': 'src/bench/aio.bench.ts' },
  { shims: true, external: ['@qco/core'] },
);
