/**
 * Differential conformance: seeded random coroutine programs — creates, enters,
 * yields, nested coroutine_fn calls (plain `yield*` or coroutineCall frames),
 * child coroutines, CoMutex sections, BHs that enter coroutines, aio_poll — run
 * on the generator backend (the reference) and on the backend under test, which
 * must produce the same trace event for event.
 * The suite finds the ordering bugs a hand-written case does not think of, and
 * prints the seed of a failing program so it can be replayed. With `bodies:
 * 'plain'` the tested side runs the same programs with plain-function bodies.
 */
import {
  CoMutex,
  aioBhScheduleOneshot,
  aioContextNew,
  aioPoll,
  coroutineCall,
  coroutineCreate,
  coroutineEnterIn,
  coroutineEntered,
  coroutineIsTerminated,
  coroutineScheduler,
  coroutineYield,
  useBackend,
  type AioContext,
  type Co,
  type Coroutine,
} from '@qco/core';
import { createGeneratorBackend } from '@qco/backend-generator';
import { describe, expect, it } from 'vitest';
import { backendLabel, bodyOf, useSuiteBackend, type AsBody, type SuiteBackend, type SuiteOptions } from './suite-options.js';
import { seededRandom } from './seeded-random.js';

/** Options of the differential suite (its `label` and `stress` are not used). */
export interface DifferentialOptions extends SuiteOptions {
  /** Number of random programs (default 150). */
  readonly programs?: number;
  /** First seed (default 1). */
  readonly firstSeed?: number;
}

type Op =
  | { readonly k: 'mark' }
  | { readonly k: 'yield' }
  | { readonly k: 'call'; readonly depth: number; readonly yields: boolean; readonly framed: boolean }
  | { readonly k: 'child'; readonly script: readonly Op[] }
  | { readonly k: 'locked'; readonly mutex: number; readonly body: readonly Op[] }
  | { readonly k: 'bh'; readonly target: number }
  | { readonly k: 'throw' };

function genScript(r: () => number, coroutines: number, depth: number, inLock: boolean): Op[] {
  const ops: Op[] = [];
  const n = 2 + Math.floor(r() * 8);
  for (let i = 0; i < n; i++) {
    const x = r();
    if (x < 0.3) ops.push({ k: 'mark' });
    else if (x < 0.55) ops.push({ k: 'yield' });
    else if (x < 0.65) ops.push({ k: 'call', depth: 1 + Math.floor(r() * 3), yields: r() < 0.5, framed: r() < 0.5 });
    else if (x < 0.73 && depth < 3) ops.push({ k: 'child', script: genScript(r, coroutines, depth + 1, false) });
    else if (x < 0.85 && !inLock && depth === 0) ops.push({ k: 'locked', mutex: Math.floor(r() * 2), body: genScript(r, coroutines, 3, true) });
    else if (x < 0.97) ops.push({ k: 'bh', target: Math.floor(r() * coroutines) });
    else if (!inLock) ops.push({ k: 'throw' });
  }
  return ops;
}

/** Run one program and return its trace. */
function runProgram(seed: number, asBody: AsBody): string[] {
  const r = seededRandom(seed);
  const count = 2 + Math.floor(r() * 5);
  const scripts = Array.from({ length: count }, () => genScript(r, count, 0, false));
  const trace: string[] = [];
  const ctx: AioContext = aioContextNew({ attach: false, name: `differential-${seed}` });
  const mutexes = [new CoMutex(), new CoMutex()];
  const cos: Coroutine[] = [];

  const enterable = (co: Coroutine | undefined): co is Coroutine => !!co && !coroutineIsTerminated(co) && !coroutineEntered(co) && coroutineScheduler(co) === null;

  // `framed`: each level calls the next through coroutineCall instead of plain yield*.
  function* nested(id: string, depth: number, yields: boolean, framed: boolean): Co<number> {
    trace.push(`${id} call ${depth}`);
    if (yields) yield* coroutineYield();
    if (depth <= 1) return 1;
    const inner = nested(id, depth - 1, yields, framed);
    return 1 + (framed ? yield* coroutineCall(inner) : yield* inner);
  }

  function* run(id: string, script: readonly Op[]): Co {
    for (const [i, op] of script.entries()) {
      switch (op.k) {
        case 'mark':
          trace.push(`${id} mark ${i}`);
          break;
        case 'yield':
          trace.push(`${id} yield ${i}`);
          yield* coroutineYield();
          trace.push(`${id} resumed ${i}`);
          break;
        case 'call':
          trace.push(`${id} returned ${yield* nested(id, op.depth, op.yields, op.framed)}`);
          break;
        case 'child': {
          const c = coroutineCreate(asBody(function* () {
            yield* run(`${id}/${i}`, op.script);
          }));
          coroutineEnterIn(ctx, c);
          trace.push(`${id} child ${i} ${coroutineIsTerminated(c) ? 'ended' : 'suspended'}`);
          break;
        }
        case 'locked': {
          const m = mutexes[op.mutex];
          trace.push(`${id} lock ${op.mutex}`);
          yield* m.lock();
          trace.push(`${id} locked ${op.mutex}`);
          yield* run(`${id}[${op.mutex}]`, op.body);
          m.unlock();
          trace.push(`${id} unlocked ${op.mutex}`);
          break;
        }
        case 'bh':
          aioBhScheduleOneshot(
            ctx,
            (t: number) => {
              const co = cos[t];
              trace.push(`bh -> ${t} ${enterable(co) ? 'enter' : 'skip'}`);
              if (enterable(co)) enter(co, `bh ${t}`);
            },
            op.target,
          );
          break;
        case 'throw':
          throw new Error(`${id} threw at ${i}`);
      }
    }
    trace.push(`${id} end`);
  }

  function enter(co: Coroutine, why: string): void {
    try {
      coroutineEnterIn(ctx, co);
    } catch (err) {
      trace.push(`${why}: ${(err as Error).message}`);
    }
  }

  scripts.forEach((s, i) => cos.push(coroutineCreate(asBody(function* () {
    yield* run(`c${i}`, s);
  }))));
  for (let round = 0; round < 400 && cos.some((c) => !coroutineIsTerminated(c)); round++) {
    const pick = Math.floor(r() * count);
    const co = cos[pick];
    if (enterable(co)) {
      trace.push(`enter c${pick}`);
      enter(co, `enter c${pick}`);
    }
    if (r() < 0.3) trace.push(`poll ${aioPoll(ctx, false)}`);
  }
  while (aioPoll(ctx, false)) trace.push('drain');
  trace.push(`left ${cos.filter((c) => !coroutineIsTerminated(c)).length}`);
  ctx.destroy();
  return trace;
}

/** Register the differential suite for `backend` (compared with the generator backend). */
export function differentialConformance(backend: SuiteBackend, options: DifferentialOptions = {}): void {
  const programs = options.programs ?? 150;
  const first = options.firstSeed ?? 1;
  describe(`differential${options.bodies === 'plain' ? ' plain bodies' : ''} [${backendLabel(backend)} vs generator]`, () => {
    it(`/differential/random-programs (${programs} seeded programs give the generator backend's trace)`, () => {
      const reference = createGeneratorBackend();
      const tested = useSuiteBackend(backend, options);
      const testedBodies = bodyOf(options.bodies);
      const generatorBodies = bodyOf('generator');
      let events = 0;
      for (let seed = first; seed < first + programs; seed++) {
        useBackend(reference);
        const want = runProgram(seed, generatorBodies);
        useBackend(tested);
        const got = runProgram(seed, testedBodies);
        events += want.length;
        expect(got, `program seed ${seed} diverged on ${tested.name}`).toEqual(want);
      }
      // The programs must actually exercise something.
      expect(events).toBeGreaterThan(programs * 10);
    });
  });
}
