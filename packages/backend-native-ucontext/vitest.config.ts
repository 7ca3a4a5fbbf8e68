import { qcoVitest } from '../../vitest.shared.js';

// --expose-gc: the conformance suite forces full collections between steps.
export default qcoVitest({ execArgv: ['--expose-gc'], testTimeout: 120_000, addon: true });
