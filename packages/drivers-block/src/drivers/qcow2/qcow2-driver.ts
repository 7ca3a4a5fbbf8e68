/**
 * The qcow2 format driver (QEMU's block/qcow2.c): what the registry needs
 * (name, options, create options, probe) is here; the node itself
 * (qcow2-node.ts and the modules under it) loads with the first open or create.
 */
import type { Co } from '@qco/core';
import { BLOCK_DRIVER_SPEC, type BlockDriver, type BlockDriverOptions, type BlockDriverState, type BlockOpenFlags, type BlockOptionDesc } from '../../block/block-driver.js';
import { LazyImplementation } from '../lazy-implementation.js';
import { probeQcow2 } from './qcow2-probe.js';

/** The node module, loaded by the first open or create. */
export const qcow2Implementation = new LazyImplementation('qcow2', () => import('./qcow2-node.js'));

const QCOW2_OPTIONS: readonly BlockOptionDesc[] = [
  { name: 'lazy-refcounts', type: 'bool', help: 'Postpone refcount updates' },
  { name: 'l2-cache-size', type: 'size', help: 'Maximum L2 table cache size' },
  { name: 'refcount-cache-size', type: 'size', help: 'Maximum refcount block cache size' },
  { name: 'cache-size', type: 'size', help: 'Maximum combined metadata (L2 tables and refcount blocks) cache size' },
  { name: 'overlap-check', type: 'string', help: 'Selects which overlap checks to perform', values: ['none', 'constant', 'cached', 'all'] },
  { name: 'discard-no-unref', type: 'bool', help: 'Do not unreference discarded clusters' },
];

/** The qcow2 format driver. */
export const qcow2Driver: BlockDriver = {
  spec: BLOCK_DRIVER_SPEC,
  formatName: 'qcow2',
  isFormat: true,
  options: QCOW2_OPTIONS,
  completions: 'inline',
  probe(buf: Uint8Array): number {
    return probeQcow2(buf) ? 100 : 0;
  },
  *open(options: BlockDriverOptions, flags: BlockOpenFlags, file?: BlockDriverState): Co<BlockDriverState> {
    const { qcow2Open } = yield* qcow2Implementation.get();
    return yield* qcow2Open(qcow2Driver, options, flags, file);
  },
  *createOnFile(file: BlockDriverState, options: BlockDriverOptions, size: number): Co {
    const { qcow2CreateOnFile } = yield* qcow2Implementation.get();
    yield* qcow2CreateOnFile(file, options, size);
  },
  createOptions: [
    { name: 'cluster_size', type: 'size', help: 'qcow2 cluster size', default: 65536 },
    { name: 'compat', type: 'string', help: 'Compatibility level (v2 [0.10] or v3 [1.1])', values: ['0.10', '1.1', 'v2', 'v3'] },
    { name: 'lazy_refcounts', type: 'bool', help: 'Postpone refcount updates' },
    { name: 'refcount_bits', type: 'number', help: 'Width of a reference count entry in bits', default: 16 },
    { name: 'preallocation', type: 'string', help: 'Preallocation mode (allowed values: off, metadata)', values: ['off', 'metadata'] },
    { name: 'backing_file', type: 'string', help: 'File name of a base image' },
    { name: 'backing_fmt', type: 'string', help: 'Image format of the base image' },
    { name: 'compression_type', type: 'string', help: 'Compression method used for image cluster compression', values: ['zlib'] },
    { name: 'extended_l2', type: 'bool', help: 'Extended L2 tables' },
    { name: 'encrypt.format', type: 'string', help: 'Encrypt the image, format choices: luks' },
  ],
};
