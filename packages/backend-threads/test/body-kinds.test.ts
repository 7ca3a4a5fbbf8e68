// Which body kinds a backend runs is visible through the core, and a plain body
// on a backend that cannot run it is refused at create time, not at its first yield.
import { UnsupportedBodyError, coroutineCreate, currentBackend, supportsPlainBodies, useBackend } from '@qco/core';
import { expect, it } from 'vitest';
import { backendName, createBackend, isAvailable } from '../src/index.js';

it('/threads/body-kinds', () => {
  expect(backendName).toBe('threads');
  expect(isAvailable()).toBe(true);
  useBackend(createBackend());
  expect(currentBackend().bodyKinds).toEqual(['generator', 'plain']);
  expect(supportsPlainBodies()).toBe(true);
  useBackend('generator');
  expect(supportsPlainBodies()).toBe(false);
  expect(() => coroutineCreate(() => {})).toThrow(UnsupportedBodyError);
  expect(() => coroutineCreate(() => {})).toThrow(/plain function bodies need a backend/);
  useBackend(createBackend());
  expect(currentBackend().name).toBe('threads');
});
