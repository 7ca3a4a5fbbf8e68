/**
 * @qco/test-utils — the real peers qco's tests and benchmarks talk to, each
 * started on 127.0.0.1 with a configuration of its own and stopped with the
 * test (or with the process that started it).
 */
export * from './sshd.js';
export * from './ganesha.js';
export * from './nbd-peers.js';
export * from './tls-certs.js';
export * from './guest.js';
export { seededBytes, seededRandom, xorshiftRandom } from '@qco/conformance/seeded-random';
export * from './teardown.js';
