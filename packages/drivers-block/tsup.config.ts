import { qcoPackage } from '../../tsup.shared.js';

export default qcoPackage(
  {
    index: 'src/index.ts',
    'qco-io': 'src/bin/qco-io.ts',
    'qco-img': 'src/bin/qco-img.ts',
    'bench/block.bench': 'src/bench/block.bench.ts',
    'bench/nvme.bench': 'src/bench/nvme.bench.ts',
    'bench/ssh.bench': 'src/bench/ssh.bench.ts',
    'bench/nfs.bench': 'src/bench/nfs.bench.ts',
    'nvme-controller-worker': 'src/nvme/controller-worker.ts',
  },
  { shims: true },
);
