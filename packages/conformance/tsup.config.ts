import { qcoPackage } from '../../tsup.shared.js';

export default qcoPackage(
  {
    index: 'src/index.ts',
    bench: 'src/bench/index.ts',
    'perf-cli': 'src/bench/perf-cli.ts',
    'bench-child': 'src/bench/child.ts',
    'bench/coroutine.bench': 'src/bench/coroutine.bench.ts',
  },
  { shims: true, external: ['vitest'] },
);
