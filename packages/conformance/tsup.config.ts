import { qcoPackage } from '../../tsup.shared.js';

export default qcoPackage({ index: 'src/index.ts', 'seeded-random': 'src/seeded-random.ts' }, { shims: true, external: ['vitest'] });
