import { qcoPackage } from '../../tsup.shared.js';

export default qcoPackage(
  { index: 'src/index.ts', bench: 'src/bench/index.ts', 'perf-cli': 'src/bench/perf-cli.ts', 'bench-child': 'src/bench/child.ts' },
  { shims: true, external: ['vitest'] },
);
