// The main-loop AioContext and the thread pool ride on Node's event loop without
// keeping it alive once idle: a process that used BHs, timers, event notifiers,
// a coroutine sleep and a thread-pool request exits by itself when all is done.
// It runs the built package in a child process (turbo builds before testing).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');

const SCRIPT = `
import { getMainAioContext, aioBhScheduleOneshot, aioTimerNew, QEMU_CLOCK_REALTIME, SCALE_MS, qemuClockGetNs,
  aioGetThreadPool, coroutineCreate, aioCoEnter, coSleepNs, EventNotifier, aioSetEventNotifier } from '@qco/core';
const ctx = getMainAioContext();
const log = [];
aioBhScheduleOneshot(ctx, () => log.push('bh'), null);
const t = aioTimerNew(ctx, QEMU_CLOCK_REALTIME, SCALE_MS, () => log.push('timer'), null);
t.mod(Math.floor(qemuClockGetNs(QEMU_CLOCK_REALTIME) / SCALE_MS) + 20);
const e = new EventNotifier();
aioSetEventNotifier(ctx, e, (n) => { n.testAndClear(); log.push('event'); });
e.set();
aioGetThreadPool(ctx).submitAio({ module: 'data:text/javascript,export function f(){return 7}', name: 'f' }, null, (_o, ret) => log.push('pool=' + ret), null);
aioCoEnter(ctx, coroutineCreate(function* () { yield* coSleepNs(QEMU_CLOCK_REALTIME, 30e6); log.push('co'); }));
process.on('exit', () => console.log(log.sort().join(',')));
`;

describe('main loop integration', () => {
  it('a process whose AioContext and thread pool are idle exits by itself', async () => {
    if (!existsSync(join(pkgDir, 'dist', 'index.js'))) throw new Error('@qco/core is not built: run `pnpm --filter @qco/core build` (turbo does it before tests)');
    const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT], { cwd: pkgDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | string>((resolve) => {
      const guard = setTimeout(() => {
        child.kill('SIGKILL');
        resolve('did not exit within 30 s: something keeps the event loop alive');
      }, 30_000);
      child.on('exit', (c) => {
        clearTimeout(guard);
        resolve(c ?? -1);
      });
    });
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out.trim()).toBe('bh,co,event,pool=7,timer');
  });
});
