// Plain bodies written with QEMU's own names (@qco/core/qemu): qemu_coroutine_yield()
// is an ordinary blocking call there, usable from any call depth.
import { qemu_coroutine_create, qemu_coroutine_enter, qemu_coroutine_yield, qemu_in_coroutine } from '@qco/core/qemu';
import { useBackend } from '@qco/core';
import { expect, it } from 'vitest';
import { createBackend } from '../src/index.js';

it('/plain/qemu-names', () => {
  useBackend(createBackend());
  const trace: string[] = [];
  const helper = (n: number): void => {
    trace.push(`in:${n}:${qemu_in_coroutine()}`);
    qemu_coroutine_yield();
  };
  const co = qemu_coroutine_create((count: number) => {
    for (let i = 0; i < count; i++) helper(i);
    trace.push('end');
  }, 3);
  for (let i = 0; i < 4; i++) qemu_coroutine_enter(co);
  expect(trace).toEqual(['in:0:true', 'in:1:true', 'in:2:true', 'end']);
  expect(qemu_in_coroutine()).toBe(false);
});
