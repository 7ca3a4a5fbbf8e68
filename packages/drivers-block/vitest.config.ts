import { qcoVitest } from '../../vitest.shared.js';

// Driver tests share real peers (sshd, nfs-ganesha) on fixed loopback ports: one file at a time.
export default qcoVitest({ serial: true, testTimeout: 180_000 });
