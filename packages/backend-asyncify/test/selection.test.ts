// The core finds this backend by name (`"qco": { "backend": "asyncify" }` or
// QCO_BACKEND=asyncify), through the package `@qco/backend-asyncify`.
import { availableBackends, backendChoice, coroutineCreate, coroutineEnter, coroutineIsTerminated, coroutineYield, registerBackend, useBackend } from '@qco/core';
import { expect, it } from 'vitest';
import { asyncifyBackendModule, backendName, isAvailable } from '../src/index.js';

it('registers as "asyncify" and is selected by name', () => {
  expect(backendName).toBe('asyncify');
  expect(isAvailable()).toBe(true);
  registerBackend(asyncifyBackendModule);
  expect(availableBackends()).toContain('asyncify');
  const b = useBackend('asyncify');
  expect(b.name).toBe('asyncify');
  expect(b.specificationVersion).toBe(1);
  expect(b.bodyKinds).toEqual(['generator']);
  expect(backendChoice()).toEqual({ name: 'asyncify', source: 'useBackend' });
  let steps = 0;
  const co = coroutineCreate(function* () {
    steps++;
    yield* coroutineYield();
    steps++;
  });
  coroutineEnter(co);
  coroutineEnter(co);
  expect(steps).toBe(2);
  expect(coroutineIsTerminated(co)).toBe(true);
});
