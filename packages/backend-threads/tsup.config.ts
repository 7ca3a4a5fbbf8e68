import { qcoPackage } from '../../tsup.shared.js';

export default qcoPackage({ index: 'src/index.ts', 'bench/threads.bench': 'src/bench/threads.bench.ts' }, { shims: true, external: ['@qco/core', '@qco/conformance'] });
