import { qcoPackage } from '../../tsup.shared.js';

export default qcoPackage(['src/index.ts']);
