/**
 * What both rules need: the rule factory (documentation links), the type of an
 * expression, and the function an expression runs in.
 */
import { ESLintUtils, type TSESTree } from '@typescript-eslint/utils';

/** Creates a rule whose docs live in the package README. */
export const createRule = ESLintUtils.RuleCreator<{ requiresTypeChecking: boolean }>((name) => `https://github.com/qco/qco/tree/main/packages/eslint-plugin#${name}`);

/** The nearest function around `node`, or null at module level. */
export function enclosingFunction(node: TSESTree.Node): TSESTree.FunctionLike | null {
  for (let n = node.parent; n; n = n.parent) {
    if (n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression') return n;
  }
  return null;
}

/** The expression a value flows out of unchanged (parentheses are not nodes; `a ?? b`, `c ? a : b` and `x, a` pass their operands through). */
export function operands(node: TSESTree.Expression): TSESTree.Expression[] {
  switch (node.type) {
    case 'ConditionalExpression':
      return [...operands(node.consequent), ...operands(node.alternate)];
    case 'LogicalExpression':
      return [...operands(node.left), ...operands(node.right)];
    case 'SequenceExpression':
      return operands(node.expressions[node.expressions.length - 1]);
    case 'ChainExpression':
      return [node.expression];
    case 'TSAsExpression':
    case 'TSNonNullExpression':
    case 'TSSatisfiesExpression':
      return operands(node.expression);
    default:
      return [node];
  }
}

// The core's leaf yields (camelCase, QEMU's name, and its snake_case alias).
const LEAF_YIELDS = new Set(['coroutineYield', 'qemuCoroutineYield', 'qemu_coroutine_yield']);

/** Whether `node` calls one of the core's leaf yields (`coroutineYield()`, `qemu_coroutine_yield()`). */
export function isLeafYieldCall(node: TSESTree.Node): boolean {
  if (node.type !== 'CallExpression') return false;
  const callee = node.callee.type === 'MemberExpression' ? node.callee.property : node.callee;
  return callee.type === 'Identifier' && LEAF_YIELDS.has(callee.name);
}
