import { qcoNativeBackendPackage } from '../../tsup.shared.js';

export default qcoNativeBackendPackage();
