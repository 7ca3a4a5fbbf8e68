import { qcoPackage } from '../../tsup.shared.js';

export default qcoPackage({ index: 'src/index.ts', 'bench/asyncify.bench': 'src/bench/asyncify.bench.ts' }, { shims: true });
