// Creating contexts through sigaltstack + a signal must not disturb Node's own
// signal handling: a user's process.on('SIGUSR2') listener keeps receiving the
// signal while coroutines are being created on fresh stacks, whether it is raised
// by the process itself or sent by another process during creation.
import { spawn } from 'node:child_process';
import { coroutineCreate, coroutineEnter, coroutineYield, useBackend, type Coroutine } from '@qco/core';
import { describe, expect, it } from 'vitest';
import { createBackend, nativeAddon } from '../src/index.js';

const tick = () => new Promise((r) => setTimeout(r, 2));

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await tick();
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

describe('sigaltstack: coexistence with Node signal handling', () => {
  it("/signals/sigusr2-listener-receives-while-creating", async () => {
    const addon = nativeAddon();
    if (addon === null) throw new Error('addon not available');
    let received = 0;
    const listener = (): void => {
      received++;
    };
    process.on('SIGUSR2', listener);
    try {
      for (let i = 1; i <= 20; i++) {
        process.kill(process.pid, 'SIGUSR2');
        // Fresh stacks each time, so each creation goes through the signal bootstrap.
        expect(addon.perf('create-fresh', 20)).toBeGreaterThan(0);
        await until(() => received >= i, `SIGUSR2 #${i}`);
      }
      expect(received).toBe(20);
    } finally {
      process.off('SIGUSR2', listener);
    }
  });

  it('/signals/sigusr2-from-another-process-during-creation', async () => {
    const addon = nativeAddon();
    if (addon === null) throw new Error('addon not available');
    useBackend(createBackend());
    let received = 0;
    const listener = (): void => {
      received++;
    };
    process.on('SIGUSR2', listener);
    const sender = spawn('sh', ['-c', `for i in $(seq 1 200); do kill -USR2 ${process.pid}; sleep 0.005; done`], { stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => sender.on('exit', (code) => r(code)));
    try {
      let created = 0;
      while (sender.exitCode === null) {
        addon.perf('create-fresh', 10);
        // JS coroutines too: the core's pool is bypassed by holding many live ones.
        const live: Coroutine[] = [];
        for (let i = 0; i < 50; i++) {
          const co = coroutineCreate(function* () {
            yield* coroutineYield();
          });
          coroutineEnter(co);
          live.push(co);
        }
        for (const co of live) coroutineEnter(co);
        created += 60;
        await tick();
      }
      expect(await exited).toBe(0);
      await until(() => received > 0, 'any SIGUSR2');
      expect(created).toBeGreaterThan(0);
      // Standard signals coalesce, so not every send arrives separately; most must.
      expect(received).toBeGreaterThan(20);
    } finally {
      process.off('SIGUSR2', listener);
    }
  });

  it('/signals/sigint-listener-still-works', async () => {
    const addon = nativeAddon();
    if (addon === null) throw new Error('addon not available');
    let got = false;
    const listener = () => void (got = true);
    process.on('SIGINT', listener);
    try {
      addon.perf('create-fresh', 20);
      process.kill(process.pid, 'SIGINT');
      addon.perf('create-fresh', 20);
      await until(() => got, 'SIGINT');
    } finally {
      process.off('SIGINT', listener);
    }
  });
});
