/**
 * The generator backend: a context is the body's generator itself, and a switch
 * into it is one step of that generator on the caller's stack. No native code,
 * so it runs wherever JavaScript does; it is the default backend. Plain function
 * bodies cannot yield here (a generator is the only way plain JavaScript can be
 * suspended), so only generator bodies are supported.
 */
import {
  BACKEND_SPECIFICATION_VERSION,
  type BackendContext,
  type CoroutineAction,
  type CoroutineBackend,
  type CoroutineEntry,
} from '@qco/backend-api';

interface GeneratorContext extends BackendContext {
  readonly entry: CoroutineEntry | null;
}

const LEADER: GeneratorContext = Object.freeze({ backend: 'generator', entry: null });

/** Create the generator backend. */
export function createGeneratorBackend(): CoroutineBackend {
  return {
    specificationVersion: BACKEND_SPECIFICATION_VERSION,
    name: 'generator',
    bodyKinds: ['generator'],
    new(entry: CoroutineEntry): BackendContext {
      const ctx: GeneratorContext = { backend: 'generator', entry };
      return ctx;
    },
    switch(_from: BackendContext, to: BackendContext, _action: CoroutineAction): CoroutineAction {
      // The core only switches into a context here (action Enter): yields are the
      // generator's own, so control comes back as the step returns.
      const entry = (to as GeneratorContext).entry;
      if (entry === null) throw new Error('generator backend: cannot switch to the leader context from a generator body');
      return entry.step();
    },
    delete(_ctx: BackendContext): void {
      // Nothing to release: the generator is garbage once unreferenced.
    },
    leader(): BackendContext {
      return LEADER;
    },
  };
}
