import { qcoPackage } from '../../tsup.shared.js';

// qemu.ts imports the core by its own package name and keeps it external,
// so both entry points share one core instance. errno.ts is plain data: its
// own entry lets a command-line tool word an error without loading the core.
export default qcoPackage(
  { index: 'src/index.ts', qemu: 'src/qemu.ts', errno: 'src/errno.ts' },
  { shims: true, external: ['@qco/core'] },
);
