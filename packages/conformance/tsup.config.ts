import { qcoPackage } from '../../tsup.shared.js';

export default qcoPackage({ index: 'src/index.ts' }, { shims: true, external: ['vitest'] });
