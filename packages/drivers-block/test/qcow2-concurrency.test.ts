/**
 * qcow2 under concurrency, on every available coroutine backend: 64
 * coroutines write random regions (unaligned, any size up to three
 * clusters, sharing clusters with each other's in-flight allocating writes
 * and copying on write from a backing file) into a fresh overlay, while the
 * same writes go to a raw copy of the backing file. Writes that touch the
 * same bytes at the same time have no defined order on any block device, so
 * a coroutine only picks bytes no in-flight write holds; clusters are shared
 * freely, which is what the metadata CoMutex and the allocation CoQueue
 * must get right. Afterwards the overlay equals the raw copy byte for byte
 * and `qemu-img check` finds it clean.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coroutineCreate, coroutineEnter, currentBackend, registerBackend, runCoroutineFn, supportsPlainBodies, useBackend, type Co } from '@qco/core';
import * as asyncify from '@qco/backend-asyncify';
import * as ucontext from '@qco/backend-native-ucontext';
import * as sigaltstack from '@qco/backend-sigaltstack';
import * as threads from '@qco/backend-threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlockBackend } from '../src/index.js';
import { seededRandom } from '@qco/test-utils';
import { qemu } from './tool-run.js';

const SIZE = 6 << 20;
const WRITERS = 64;
const WRITES_EACH = 12;

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qco-qcow2-co-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));


/** Every backend this repository ships; each must run here (the CI machine builds them all). */
const BACKENDS = ['generator', 'native-ucontext', 'sigaltstack', 'asyncify', 'threads'] as const;

async function run(backend: string, clusterSize: number, seed: number): Promise<void> {
  useBackend(backend);
  expect(currentBackend().name).toBe(backend);
  const plainWriters = supportsPlainBodies();
  let ranOn = 0;
  let plainRan = 0;
  const base = join(dir, `${backend}-${clusterSize}-base.qcow2`);
  const over = join(dir, `${backend}-${clusterSize}-over.qcow2`);
  const model = new Uint8Array(SIZE);
  for (let i = 0; i < SIZE; i += 4096) model.fill((i >> 12) & 0xff, i, i + 3000);
  writeFileSync(join(dir, 'pattern.raw'), model);
  expect(qemu('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', join(dir, 'pattern.raw'), base]).status).toBe(0);
  await BlockBackend.create({ filename: over, format: 'qcow2', backingFile: base, backingFormat: 'qcow2', options: { cluster_size: clusterSize } });
  const blk = await BlockBackend.open(over);
  const r = seededRandom(seed);
  const busy: [number, number][] = [];
  const free = (a: number, b: number): boolean => busy.every(([x, y]) => b <= x || y <= a);
  let writes = 0;
  let waitedOnSharedCluster = 0;
  const writer = function* (id: number): Co {
    ranOn += currentBackend().name === backend ? 1 : 0;
    for (let n = 0; n < WRITES_EACH; n++) {
      let off = 0;
      let len = 0;
      for (let tries = 0; ; tries++) {
        len = 1 + Math.floor(r() * 3 * clusterSize);
        off = Math.floor(r() * (SIZE - len));
        if (free(off, off + len)) break;
        if (tries > 50) return;
      }
      if (busy.some(([x, y]) => Math.floor(x / clusterSize) <= Math.floor((off + len - 1) / clusterSize) && Math.floor(off / clusterSize) <= Math.floor((y - 1) / clusterSize))) waitedOnSharedCluster++;
      const range: [number, number] = [off, off + len];
      busy.push(range);
      const data = new Uint8Array(len).fill((id * 31 + n * 7 + 1) & 0xff);
      model.set(data, off);
      yield* blk.coPwrite(off, data);
      busy.splice(busy.indexOf(range), 1);
      writes++;
      if (n % 4 === 3) {
        // Reads in between see the model wherever no write is in flight.
        const at = Math.floor(r() * (SIZE - 65536));
        if (free(at, at + 65536)) {
          const held: [number, number] = [at, at + 65536];
          busy.push(held);
          const got = yield* blk.coPread(at, 65536);
          busy.splice(busy.indexOf(held), 1);
          expect(Buffer.compare(got, model.subarray(at, at + 65536))).toBe(0);
        }
      }
    }
  };
  await Promise.all(
    Array.from(
      { length: WRITERS },
      (_, id) =>
        new Promise<void>((resolve, reject) => {
          coroutineEnter(
            plainWriters && id % 2 === 1
              ? coroutineCreate(() => {
                  // A plain body: every yield of the coroutine_fn blocks this thread until it is entered again.
                  try {
                    runCoroutineFn(writer(id));
                    plainRan++;
                    resolve();
                  } catch (e) {
                    reject(e);
                  }
                })
              : coroutineCreate(function* () {
                  try {
                    yield* writer(id);
                    resolve();
                  } catch (e) {
                    reject(e);
                  }
                }),
          );
        }),
    ),
  );
  expect(ranOn).toBe(WRITERS);
  expect(plainRan).toBe(plainWriters ? WRITERS / 2 : 0);
  expect(writes).toBeGreaterThan(WRITERS * WRITES_EACH * 0.9);
  expect(waitedOnSharedCluster).toBeGreaterThan(0);
  await blk.flush();
  const whole = await blk.pread(0, SIZE);
  expect(Buffer.compare(whole, model)).toBe(0);
  await blk.close();
  const rawCopy = join(dir, `${backend}-${clusterSize}-model.raw`);
  writeFileSync(rawCopy, model);
  const check = qemu('qemu-img', ['check', over]);
  expect(check.out).toContain('No errors were found on the image.');
  expect(qemu('qemu-img', ['compare', '-F', 'raw', over, rawCopy]).out).toBe('Images are identical.\n');
  expect(readFileSync(rawCopy).length).toBe(SIZE);
}

for (const m of [asyncify, ucontext, sigaltstack, threads]) registerBackend(m);

describe('qcow2: 64 coroutines writing overlapping regions over a backing file', () => {
  it('runs plain bodies on threads only', () => {
    useBackend('threads');
    expect(supportsPlainBodies()).toBe(true);
    useBackend('generator');
    expect(supportsPlainBodies()).toBe(false);
  });
  for (const backend of BACKENDS) {
    it(`on ${backend}: the overlay equals the raw model and qemu-img check is clean`, async () => {
      await run(backend, 65536, 17);
      await run(backend, 4096, 23);
    }, 120_000);
  }
});
