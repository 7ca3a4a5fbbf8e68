// The rules over real core types: each case is type-checked against @qco/core's
// own declarations (test/fixtures/tsconfig.json resolves it from source), so a
// change in how the core spells Co or the yield token shows up here. The invalid
// cases are the mistakes a consumer made that tsc let through.
import { RuleTester } from '@typescript-eslint/rule-tester';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import plugin, { noFloatingCo, requireYieldStar } from '../src/index.js';

RuleTester.afterAll = afterAll;
RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

const tester = new RuleTester({
  languageOptions: { parserOptions: { project: './tsconfig.json', tsconfigRootDir: join(__dirname, 'fixtures') } },
});

const prelude = `import { CoMutex, coroutineCreate, coroutineEnter, coroutineYield, runCoroutineFn, type Co } from '@qco/core';
function* body(n: number): Co<number> { yield* coroutineYield(); return n; }
declare const blk: { coPread(offset: number, bytes: number): Co<Uint8Array>; pread(offset: number, bytes: number): Promise<Uint8Array> };
declare function coroutineRun<T>(body: () => Co<T>): Promise<T>;
const m = new CoMutex();
void coroutineEnter; void runCoroutineFn; void blk; void m; void coroutineCreate;
`;
const code = (s: string): string => prelude + s;

tester.run('no-floating-co', noFloatingCo, {
  valid: [
    code('function* a(): Co<number> { return yield* body(1); }'),
    code('function* a(): Co { yield* m.lock(); m.unlock(); }'),
    code('function* a(): Co { const g = body(1); yield* g; }'),
    code('function read(): Co<Uint8Array> { return blk.coPread(0, 512); }'),
    code('const read = (): Co<Uint8Array> => blk.coPread(0, 512);'),
    code('coroutineEnter(coroutineCreate(function* () { yield* m.lock(); m.unlock(); }));'),
    code('async function a(): Promise<number> { return await coroutineRun(() => body(1)); }'),
    code('async function a(): Promise<Uint8Array> { return await blk.pread(0, 512); }'),
    code('function plain(): number { return runCoroutineFn(body(1)); }'),
    code('function* a(): Co { yield* coroutineYield(); }'),
    code('function* counter(): Generator<number> { yield 1; } void counter;'),
    code('async function a(): Promise<void> { await Promise.resolve(1); }'),
    // A plain body on the threads backend: the call itself blocks until re-entered.
    code('coroutineCreate((): void => { coroutineYield(); });'),
  ],
  invalid: [
    { code: code('body(3);'), errors: [{ messageId: 'floatingOutside', data: { text: 'body(3)', where: 'module top level' } }] },
    { code: code('function* a(): Co { m.lock(); m.unlock(); }'), errors: [{ messageId: 'floatingInCoroutine', data: { text: 'm.lock()' } }] },
    { code: code('function plain(): void { m.lock(); }'), errors: [{ messageId: 'floatingOutside', data: { text: 'm.lock()', where: 'plain function' } }] },
    { code: code('async function a(): Promise<void> { blk.coPread(0, 512); }'), errors: [{ messageId: 'floatingOutside', data: { text: 'blk.coPread(0, 512)', where: 'async function' } }] },
    { code: code('async function a(): Promise<void> { await body(1); }'), errors: [{ messageId: 'awaited' }] },
    { code: code('function* a(): Co { void body(1); }'), errors: [{ messageId: 'floatingInCoroutine' }] },
    { code: code('function* a(): Co { blk.coPread(0, 512); }'), errors: [{ messageId: 'floatingInCoroutine', data: { text: 'blk.coPread(0, 512)' } }] },
    { code: code('const a = async () => body(1); void a;'), errors: [{ messageId: 'returnedFromAsync' }] },
    { code: code('async function a() { return body(1); } void a;'), errors: [{ messageId: 'returnedFromAsync' }] },
    { code: code('function* a(): Co { coroutineYield(); }'), errors: [{ messageId: 'droppedYield', data: { text: 'coroutineYield()' } }] },
    { code: code('declare const ok: boolean; function* a(): Co { ok ? body(1) : body(2); }'), errors: [{ messageId: 'floatingInCoroutine' }, { messageId: 'floatingInCoroutine' }] },
  ],
});

tester.run('require-yield-star', requireYieldStar, {
  valid: [
    code('function* a(): Co { yield* body(1); }'),
    code('function* a(): Co { yield* coroutineYield(); }'),
    // The leaf yield of the token form (the core's `yield coroutineYield()`).
    code('function* a(): Generator<unknown, void, unknown> { yield coroutineYield(); }'),
    code('function* counter(): Generator<number> { yield 1; } void counter;'),
  ],
  invalid: [
    {
      code: code('function* a(): Generator<unknown, void, unknown> { yield body(1); }'),
      output: code('function* a(): Generator<unknown, void, unknown> { yield* body(1); }'),
      errors: [{ messageId: 'yieldWithoutStar', data: { text: 'body(1)' } }],
    },
    {
      code: code('function* a(): Generator<unknown, void, unknown> { yield m.lock(); }'),
      output: code('function* a(): Generator<unknown, void, unknown> { yield* m.lock(); }'),
      errors: [{ messageId: 'yieldWithoutStar', data: { text: 'm.lock()' } }],
    },
  ],
});

describe('recommended config', () => {
  it('turns both rules on as errors under the @qco prefix', () => {
    const rec = plugin.configs.recommended;
    if (rec.plugins?.['@qco'] !== plugin) throw new Error('recommended config does not carry the plugin');
    if (rec.rules?.['@qco/no-floating-co'] !== 'error' || rec.rules['@qco/require-yield-star'] !== 'error') throw new Error('recommended rules are not errors');
  });
});
