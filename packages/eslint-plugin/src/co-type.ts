/**
 * Recognising a Co value by its type: a generator (or iterable) whose yield type
 * is the core's CoroutineYield, which is what every coroutine_fn returns
 * (`Co<T> = Generator<CoroutineYield, T, unknown>`), and the yield token itself.
 * The names are the core's public type names, so the rules need no import of it.
 */
import type ts from 'typescript';

const ITERATORS = new Set(['Generator', 'Iterable', 'Iterator', 'IterableIterator', 'IteratorObject']);

/** Whether `type` is the core's yield token (`CoroutineYield`), what `coroutineYield()` gives to a leaf `yield`. */
export function isYieldToken(type: ts.Type): boolean {
  if (type.isUnion() || type.isIntersection()) return type.types.some(isYieldToken);
  return type.aliasSymbol?.name === 'CoroutineYield' || type.getSymbol()?.name === 'CoroutineYield';
}

/** Whether `type` is (or may be, in a union) a Co: an unstarted coroutine_fn call. */
export function isCoType(checker: ts.TypeChecker, type: ts.Type): boolean {
  if (type.isUnion() || type.isIntersection()) return type.types.some((t) => isCoType(checker, t));
  if (type.aliasSymbol?.name === 'Co') return true;
  const name = type.getSymbol()?.name;
  if (name === undefined || !ITERATORS.has(name)) return false;
  const args = checker.getTypeArguments(type as ts.TypeReference);
  const yielded = args.at(0);
  return yielded !== undefined && isYieldToken(yielded);
}
