/**
 * `yield` (without `*`) hands its operand to whoever steps the coroutine. For
 * the yield token (`yield coroutineYield()`) that is the leaf yield; for any
 * other Co value it passes an unstarted generator up instead of running it,
 * which the core rejects at run time. This rule asks for `yield*` there.
 */
import { ESLintUtils } from '@typescript-eslint/utils';
import { isCoType, isYieldToken } from '../co-type.js';
import { createRule, isLeafYieldCall } from '../rule-context.js';

/** The rule `@qco/require-yield-star`. */
export const requireYieldStar = createRule<[], 'yieldWithoutStar'>({
  name: 'require-yield-star',
  meta: {
    type: 'problem',
    docs: { description: 'Require `yield*` for a Co value; only the yield token from coroutineYield() may be yielded with a bare `yield`', requiresTypeChecking: true },
    fixable: 'code',
    messages: {
      yieldWithoutStar: '`yield {{text}}` passes an unstarted coroutine_fn call up instead of running it: write `yield* {{text}}`.',
    },
    schema: [],
    defaultOptions: [],
  },
  create(context) {
    const services = ESLintUtils.getParserServices(context);
    const checker = services.program.getTypeChecker();
    return {
      'YieldExpression[delegate=false]'(node: import('@typescript-eslint/utils').TSESTree.YieldExpression): void {
        const arg = node.argument;
        if (arg === null) return;
        // The leaf yield of the token form, whatever its declared type.
        if (isLeafYieldCall(arg)) return;
        const type = services.getTypeAtLocation(arg);
        if (isYieldToken(type) && !isCoType(checker, type)) return;
        if (!isCoType(checker, type)) return;
        const text = context.sourceCode.getText(arg);
        context.report({
          node,
          messageId: 'yieldWithoutStar',
          data: { text },
          fix: (fixer) => {
            const first = context.sourceCode.getFirstToken(node);
            return first ? fixer.insertTextAfter(first, '*') : null;
          },
        });
      },
    };
  },
});
