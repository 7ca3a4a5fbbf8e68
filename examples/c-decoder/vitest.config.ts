import { qcoVitest } from '../../vitest.shared.js';

export default qcoVitest();
