import { qcoPackage } from '../../tsup.shared.js';

export default qcoPackage(
  { index: 'src/index.ts', 'perf-cli': 'src/perf-cli.ts', 'bench-child': 'src/child.ts' },
  { shims: true, external: ['esbuild'] },
);
