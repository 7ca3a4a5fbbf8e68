import { qcoPackage } from '../../tsup.shared.js';

export default qcoPackage({ index: 'src/index.ts', qemu: 'src/qemu.ts' }, { shims: true });
