/**
 * The generator backend: a context is the body's generator itself, and a switch
 * into it is one step of that generator on the caller's stack. No native code,
 * so it runs wherever JavaScript does; it is the default backend. Plain function
 * bodies cannot yield here (a generator is the only way plain JavaScript can be
 * suspended), so only generator bodies are supported.
 */
import { BACKEND_SPECIFICATION_VERSION, callerStackContexts, type CoroutineBackend } from '@qco/backend-api';

/** Create the generator backend. */
export function createGeneratorBackend(): CoroutineBackend {
  return {
    specificationVersion: BACKEND_SPECIFICATION_VERSION,
    name: 'generator',
    bodyKinds: ['generator'],
    ...callerStackContexts('generator'),
  };
}
