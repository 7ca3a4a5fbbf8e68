/**
 * The backend contract (QEMU's include/qemu/coroutine_int.h): CoroutineAction and
 * new / switch / delete. Defined in @qco/backend-api so backends need not depend on
 * the core at run time; re-exported here so users see one package.
 */
export {
  BACKEND_SPECIFICATION_VERSION,
  callerStackContexts,
  CoroutineAction,
  type BackendContext,
  type BackendModule,
  type BodyKind,
  type CoroutineBackend,
  type CoroutineEntry,
  type NativeArg,
  type NativeFunctionSource,
  type NativeRequest,
  type NativeRuntime,
  type NativeStep,
} from '@qco/backend-api';
