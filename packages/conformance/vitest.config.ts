import { qcoVitest } from '../../vitest.shared.js';

// --expose-gc: the gc-stress run collects inside coroutines.
export default qcoVitest({ execArgv: ['--expose-gc'] });
