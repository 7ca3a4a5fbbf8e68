/**
 * A Co value (what a coroutine_fn call, `mutex.lock()` or `blk.coPread()`
 * returns) runs only when a coroutine consumes it with `yield*`, or when it is
 * returned or handed to a runner. Dropped, voided, awaited or returned from an
 * async function, it silently does nothing: the lock is not taken, the read
 * never happens. This rule reports those four places, saying how to run it there.
 */
import type { TSESTree } from '@typescript-eslint/utils';
import { ESLintUtils } from '@typescript-eslint/utils';
import { isCoType, isYieldToken } from '../co-type.js';
import { createRule, enclosingFunction, isLeafYieldCall, operands } from '../rule-context.js';

type MessageId = 'floatingInCoroutine' | 'floatingOutside' | 'awaited' | 'returnedFromAsync' | 'droppedYield';

/** The rule `@qco/no-floating-co`. */
export const noFloatingCo = createRule<[], MessageId>({
  name: 'no-floating-co',
  meta: {
    type: 'problem',
    docs: { description: 'Require every Co value (coroutine_fn call) to be run with yield*, returned, or handed to a runner', requiresTypeChecking: true },
    messages: {
      floatingInCoroutine: '`{{text}}` is a coroutine_fn call and does nothing until consumed: run it with `yield* {{text}}`.',
      floatingOutside:
        '`{{text}}` is a coroutine_fn call, and a {{where}} is not a coroutine_fn, so it does nothing here: run it with `await coroutineRun(function* () { return yield* {{text}}; })`, use the Promise face (e.g. `await blk.pread(…)`), or move the call into a coroutine_fn and use `yield*`.',
      awaited:
        '`await` of a coroutine_fn call does not run it (a Co is a generator, not a Promise): use `await coroutineRun(function* () { return yield* {{text}}; })` or the Promise face.',
      returnedFromAsync: 'This async function returns an unstarted coroutine_fn call: the caller gets a generator object, and nothing runs. Use `return coroutineRun(…)` or the Promise face.',
      droppedYield: '`{{text}}` makes a yield token that is dropped: write `yield {{text}}` (or `yield* {{text}}`) inside a coroutine_fn.',
    },
    schema: [],
    defaultOptions: [],
  },
  create(context) {
    const services = ESLintUtils.getParserServices(context);
    const checker = services.program.getTypeChecker();
    const isCo = (node: TSESTree.Node): boolean => isCoType(checker, services.getTypeAtLocation(node));
    const text = (node: TSESTree.Node): string => context.sourceCode.getText(node);
    const where = (fn: TSESTree.FunctionLike | null): string => (fn === null ? 'module top level' : fn.async ? 'async function' : 'plain function');

    return {
      ExpressionStatement(stmt): void {
        if (stmt.directive !== undefined) return;
        const fn = enclosingFunction(stmt);
        for (const node of operands(stmt.expression)) {
          if (node.type === 'YieldExpression' || node.type === 'AwaitExpression' || node.type === 'AssignmentExpression') continue;
          if (node.type === 'UnaryExpression' && node.operator === 'void') {
            if (isCo(node.argument)) context.report({ node, messageId: fn?.generator ? 'floatingInCoroutine' : 'floatingOutside', data: { text: text(node.argument), where: where(fn) } });
            continue;
          }
          // A plain body (threads backend) yields by calling coroutineYield(): the call itself switches.
          if (!fn?.generator && isLeafYieldCall(node)) continue;
          if (isCo(node)) context.report({ node, messageId: fn?.generator ? 'floatingInCoroutine' : 'floatingOutside', data: { text: text(node), where: where(fn) } });
          else if (isYieldToken(services.getTypeAtLocation(node))) context.report({ node, messageId: 'droppedYield', data: { text: text(node) } });
        }
      },
      AwaitExpression(node): void {
        if (operands(node.argument).some(isCo)) context.report({ node, messageId: 'awaited', data: { text: text(node.argument) } });
      },
      ReturnStatement(node): void {
        const fn = enclosingFunction(node);
        if (fn?.async && !fn.generator && node.argument && operands(node.argument).some(isCo)) context.report({ node, messageId: 'returnedFromAsync' });
      },
      'ArrowFunctionExpression[async=true]'(fn: TSESTree.ArrowFunctionExpression): void {
        if (fn.body.type !== 'BlockStatement' && operands(fn.body).some(isCo)) context.report({ node: fn.body, messageId: 'returnedFromAsync' });
      },
    };
  },
});
