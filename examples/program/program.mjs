#!/usr/bin/env node
// The same coroutine program in every example package: a CoMutex-protected counter
// shared by four coroutines, and a block read through the null driver. Which
// backend runs it is decided by the package it is started from (its package.json
// "qco" field, or QCO_BACKEND), not by this file.
import { readFileSync } from 'node:fs';
import { CoMutex, backendChoice, coroutineCreate, coroutineEnter, coroutineEntered, coroutineIsTerminated, coroutineYield, currentBackend } from '@qco/core';
import { BlockBackend } from '@qco/drivers-block';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const lock = new CoMutex();
let counter = 0;

function* worker(rounds) {
  for (let i = 0; i < rounds; i++) {
    yield* lock.lock();
    const seen = counter;
    yield coroutineYield(); // others run while we hold the lock; none may touch counter
    counter = seen + 1;
    lock.unlock();
  }
}

try {
  const workers = [0, 1, 2, 3].map(() => coroutineCreate(worker, 25));
  const runnable = (co) => !coroutineIsTerminated(co) && !coroutineEntered(co);
  while (workers.some(runnable)) for (const co of workers) if (runnable(co)) coroutineEnter(co);

  const blk = await BlockBackend.open('json:{"driver":"null-co","size":1048576,"read-zeroes":true}');
  const data = await blk.pread(4096, 65536);
  await blk.close();

  const choice = backendChoice();
  console.log(
    JSON.stringify({ package: pkg.name, configured: pkg.qco?.backend ?? null, backend: currentBackend().name, source: choice.source, counter, readBytes: data.length, allZero: data.every((b) => b === 0) }),
  );
} catch (err) {
  console.log(JSON.stringify({ package: pkg.name, configured: pkg.qco?.backend ?? null, error: `${err.name}: ${err.message}` }));
  process.exitCode = 1;
}
