import { qcoVitest } from '../../vitest.shared.js';

// --expose-gc: the GC-stress runs collect inside coroutines.
export default qcoVitest({ execArgv: ['--expose-gc'], testTimeout: 180_000, addon: true });
