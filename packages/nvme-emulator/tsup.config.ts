import { qcoPackage } from '../../tsup.shared.js';

export default qcoPackage({ index: 'src/index.ts', spec: 'src/spec.ts', 'nvme-controller-worker': 'src/controller-worker.ts' }, { shims: true });
