import { qcoPackage } from '../../tsup.shared.js';

// qemu.ts imports the core by its own package name and keeps it external,
// so both entry points share one core instance.
export default qcoPackage(
  { index: 'src/index.ts', qemu: 'src/qemu.ts' },
  { shims: true, external: ['@qco/core'] },
);
