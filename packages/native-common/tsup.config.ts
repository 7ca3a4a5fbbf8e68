import { qcoPackage } from '../../tsup.shared.js';

export default qcoPackage({ index: 'src/index.ts', testing: 'src/testing.ts' }, { shims: true, external: ['vitest', '@qco/core', '@qco/conformance'] });
