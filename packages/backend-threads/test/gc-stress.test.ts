// Both suites again with full garbage collections between steps and inside
// suspended plain bodies (vitest runs this package with --expose-gc): each GC
// walks the archived stacks of every parked coroutine thread.
import { coroutineConformance, plainBodyConformance } from '@qco/conformance';
import { describe, expect, it } from 'vitest';
import { createBackend } from '../src/index.js';

const gc = (globalThis as { gc?: () => void }).gc;

describe('gc stress prerequisites', () => {
  it('runs with --expose-gc', () => {
    expect(typeof gc).toBe('function');
  });
});

const stress = (): void => gc?.();
coroutineConformance(createBackend(), { label: 'gc-stress', stress });
plainBodyConformance(createBackend(), { label: 'gc-stress', stress });
