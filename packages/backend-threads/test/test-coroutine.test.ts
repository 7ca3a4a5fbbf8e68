// test-coroutine.c port on this backend, with generator and plain bodies, then again with a
// full GC forced between steps and inside suspended bodies (vitest runs this package with --expose-gc).
import { coroutineConformance, gcStress } from '@qco/conformance';
import { describe, expect, it } from 'vitest';
import { threadsBackendModule } from '../src/index.js';

describe('gc stress prerequisites', () => {
  it('runs with --expose-gc', () => {
    expect(typeof (globalThis as { gc?: () => void }).gc).toBe('function');
  });
});

// One OS thread per live coroutine (README, Limits): 2,000 at once here, not 100,000.
const liveCoroutines = 2000;
coroutineConformance(threadsBackendModule, { liveCoroutines });
coroutineConformance(threadsBackendModule, { bodies: 'plain', liveCoroutines });
coroutineConformance(threadsBackendModule, { label: 'gc-stress', stress: gcStress, liveCoroutines });
coroutineConformance(threadsBackendModule, { bodies: 'plain', label: 'gc-stress', stress: gcStress, liveCoroutines });
