import { qcoPackage } from '../../tsup.shared.js';

export default qcoPackage({ render: 'src/render.ts', cli: 'src/cli.ts' });
