/*
 * The Node-API face of the native contexts, shared by both stackful backends
 * (node-addon-api, C++ exceptions off). Every function here runs on Node's own
 * stack; the switches it makes come back before it returns, so no JavaScript ever
 * runs on a coroutine stack. The hot calls take and return plain numbers; a
 * native yield's request details go through a Float64Array shared with
 * JavaScript, so a step allocates nothing.
 */
#include <napi.h>
#include <stdlib.h>
#include <string.h>
#include "qco-internal.h"
#ifdef QCO_TEST_BUILD
#include "qco-suite.h"
#endif

namespace {

double *step_info;  // [request kind, a, b, result]
Napi::Reference<Napi::Float64Array> step_info_ref;

QcoCoroutine *context_arg(const Napi::CallbackInfo &info, int index) {
  Napi::Env env = info.Env();
  QcoCoroutine *co = qco_context_get(info[index].As<Napi::Number>().Int32Value());
  if (co == NULL) Napi::Error::New(env, "qco: no such native context").ThrowAsJavaScriptException();
  return co;
}

Napi::Value NewContext(const Napi::CallbackInfo &info) {
  QcoCoroutine *co = qco_context_new(QCO_BODY_JS);
  if (co == NULL) {
    Napi::Error::New(info.Env(), "qco: cannot allocate a coroutine stack").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  return Napi::Number::New(info.Env(), co->id);
}

// The two calls every JavaScript step makes use the C API of Node-API directly:
// node-addon-api's wrapper costs more than the switches they make.
bool hot_context(napi_env env, napi_callback_info info, QcoCoroutine **co, int32_t *arg1) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t id;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || napi_get_value_int32(env, argv[0], &id) != napi_ok) {
    napi_throw_type_error(env, NULL, "qco: expected a native context id");
    return false;
  }
  if (arg1 != NULL && (argc < 2 || napi_get_value_int32(env, argv[1], arg1) != napi_ok)) {
    napi_throw_type_error(env, NULL, "qco: expected a step outcome");
    return false;
  }
  *co = qco_context_get(id);
  if (*co == NULL) {
    napi_throw_error(env, NULL, "qco: no such native context");
    return false;
  }
  return true;
}

napi_value int_value(napi_env env, int v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

napi_value Enter(napi_env env, napi_callback_info info) {
  QcoCoroutine *co;
  if (!hot_context(env, info, &co, NULL)) return NULL;
  if (co->kind != QCO_BODY_JS || co->caller != NULL || co->awaiting_step) {
    napi_throw_error(env, NULL, "qco: native context is not a suspended JavaScript context");
    return NULL;
  }
  return int_value(env, qco_js_enter(co));
}

napi_value ResumeStep(napi_env env, napi_callback_info info) {
  QcoCoroutine *co;
  if (!hot_context(env, info, &co, NULL)) return NULL;
  if (co->kind != QCO_BODY_JS || !co->awaiting_step) {
    napi_throw_error(env, NULL, "qco: native context is not waiting for a step's outcome");
    return NULL;
  }
  return int_value(env, qco_js_resume(co));
}

napi_value Complete(napi_env env, napi_callback_info info) {
  QcoCoroutine *co;
  int32_t outcome;
  if (!hot_context(env, info, &co, &outcome)) return NULL;
  if (!co->awaiting_step) {
    napi_throw_error(env, NULL, "qco: native context is not waiting for a step's outcome");
    return NULL;
  }
  if (outcome != QCO_YIELD && outcome != QCO_TERMINATE && outcome != QCO_STEP_THREW) outcome = QCO_STEP_THREW;
  return int_value(env, qco_js_complete(co, outcome));
}

Napi::Value DeleteContext(const Napi::CallbackInfo &info) {
  QcoCoroutine *co = context_arg(info, 0);
  if (co == NULL) return info.Env().Undefined();
  if (co->caller != NULL) {
    Napi::Error::New(info.Env(), "qco: cannot delete a native context that is running").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  // Back to the pool; a context suspended mid-body has its frames dropped first.
  qco_routine_cancel(co);
  return info.Env().Undefined();
}

Napi::Value Functions(const Napi::CallbackInfo &info) {
  int n = qco_function_count();
  Napi::Array list = Napi::Array::New(info.Env(), (size_t)n);
  for (int i = 0; i < n; i++) list.Set(i, Napi::String::New(info.Env(), qco_function_at(i)->name));
  return list;
}

// start(index, args): each argument a number or a Uint8Array (its bytes are lent to
// the C function, which may write them, until it returns).
Napi::Value Start(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  const QcoRoutine *r = info[0].IsNumber() ? qco_function_at(info[0].As<Napi::Number>().Int32Value()) : NULL;
  if (r == NULL) {
    Napi::RangeError::New(env, "qco: no such native function").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!info[1].IsArray()) {
    Napi::TypeError::New(env, "qco: native function arguments must be an array").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  QcoArg args[QCO_MAX_ARGS];
  memset(args, 0, sizeof args);
  Napi::Array a = info[1].As<Napi::Array>();
  uint32_t n = a.Length();
  if (n > QCO_MAX_ARGS) {
    Napi::RangeError::New(env, "qco: at most 8 arguments reach a native function").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  for (uint32_t i = 0; i < n; i++) {
    Napi::Value v = a.Get(i);
    if (v.IsNumber()) {
      args[i].number = v.As<Napi::Number>().DoubleValue();
    } else if (v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
      Napi::Uint8Array bytes = v.As<Napi::Uint8Array>();
      args[i].bytes = bytes.ElementLength() > 0 ? bytes.Data() : NULL;
      args[i].length = bytes.ElementLength();
    } else {
      Napi::TypeError::New(env, "qco: a native function argument is a number or a Uint8Array").ThrowAsJavaScriptException();
      return env.Undefined();
    }
  }
  QcoCoroutine *co = qco_routine_start(r, args, (int)n);
  if (co == NULL) {
    Napi::Error::New(env, "qco: cannot allocate a coroutine stack").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, co->id);
}

// The API table, for a consumer addon's qcoRegister (see QCO_MAIN in qco.h).
Napi::Value ApiTable(const Napi::CallbackInfo &info) {
  return Napi::External<QcoApi>::New(info.Env(), const_cast<QcoApi *>(&qco_api_table));
}

// Argument `i` as a native function's context that is suspended (not running),
// what resume and cancel take; NULL with a JavaScript exception pending otherwise.
static QcoCoroutine *suspended_routine_arg(const Napi::CallbackInfo &info, int i) {
  QcoCoroutine *co = context_arg(info, i);
  if (co == NULL) return NULL;
  if (co->kind != QCO_BODY_ROUTINE || co->caller != NULL) {
    Napi::Error::New(info.Env(), "qco: native handle is not a suspended native function").ThrowAsJavaScriptException();
    return NULL;
  }
  return co;
}

Napi::Value Resume(const Napi::CallbackInfo &info) {
  QcoCoroutine *co = suspended_routine_arg(info, 0);
  if (co == NULL) return info.Env().Undefined();
  int req = qco_routine_resume(co, info[1].As<Napi::Number>().DoubleValue());
  if (step_info != NULL) {
    step_info[0] = req;
    step_info[1] = co->req_a;
    step_info[2] = co->req_b;
    step_info[3] = co->result;
  }
  if (req == QCO_REQ_DONE) qco_context_release(co);
  return Napi::Number::New(info.Env(), req);
}

Napi::Value Cancel(const Napi::CallbackInfo &info) {
  QcoCoroutine *co = suspended_routine_arg(info, 0);
  if (co == NULL) return info.Env().Undefined();
  qco_routine_cancel(co);
  return info.Env().Undefined();
}

Napi::Value SetStepInfo(const Napi::CallbackInfo &info) {
  Napi::Float64Array a = info[0].As<Napi::Float64Array>();
  if (a.ElementLength() < 4) {
    Napi::RangeError::New(info.Env(), "qco: step buffer needs 4 elements").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  step_info_ref = Napi::Persistent(a);
  step_info = a.Data();
  return info.Env().Undefined();
}

#ifdef QCO_TEST_BUILD
Napi::Value NativeCases(const Napi::CallbackInfo &info) {
  Napi::Array list = Napi::Array::New(info.Env(), qco_native_case_count);
  for (int i = 0; i < qco_native_case_count; i++) list.Set(i, Napi::String::New(info.Env(), qco_native_cases[i].name));
  return list;
}

Napi::Value RunNativeCase(const Napi::CallbackInfo &info) {
  std::string name = info[0].As<Napi::String>().Utf8Value();
  for (int i = 0; i < qco_native_case_count; i++) {
    if (name == qco_native_cases[i].name) {
      const char *err = qco_native_cases[i].fn();
      qco_pool_trim(64); /* a case that made many contexts leaves a small pool */
      return Napi::String::New(info.Env(), err == NULL ? "" : err);
    }
  }
  return Napi::String::New(info.Env(), "no such native case");
}

Napi::Value Perf(const Napi::CallbackInfo &info) {
  std::string name = info[0].As<Napi::String>().Utf8Value();
  return Napi::Number::New(info.Env(), qco_perf(name.c_str(), info[1].As<Napi::Number>().DoubleValue()));
}

Napi::Value PollFd(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), qco_poll_fd(info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Int32Value()));
}

#endif

Napi::Value StackSize(const Napi::CallbackInfo &info) {
  if (info.Length() > 0 && info[0].IsNumber()) qco_stack_size_set((size_t)info[0].As<Napi::Number>().DoubleValue());
  return Napi::Number::New(info.Env(), (double)qco_stack_size_get());
}

Napi::Value EnableOverflowCheck(const Napi::CallbackInfo &info) {
  return Napi::Boolean::New(info.Env(), qco_overflow_check_enable() == 0);
}

Napi::Value Stats(const Napi::CallbackInfo &info) {
  int live, pooled;
  qco_context_stats(&live, &pooled);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("live", live);
  o.Set("pooled", pooled);
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  const char *size = getenv("QCO_STACK_SIZE");
  if (size != NULL && atol(size) > 0) qco_stack_size_set((size_t)atol(size));
  const char *check = getenv("QCO_STACK_CHECK");
  if (check != NULL && strcmp(check, "1") == 0) qco_overflow_check_enable();
  exports.Set("startMethod", Napi::String::New(env, qco_start_method));
  exports.Set("newContext", Napi::Function::New(env, NewContext));
  napi_value fn;
  napi_create_function(env, "enter", NAPI_AUTO_LENGTH, Enter, NULL, &fn);
  exports.Set("enter", Napi::Value(env, fn));
  napi_create_function(env, "resumeStep", NAPI_AUTO_LENGTH, ResumeStep, NULL, &fn);
  exports.Set("resumeStep", Napi::Value(env, fn));
  napi_create_function(env, "complete", NAPI_AUTO_LENGTH, Complete, NULL, &fn);
  exports.Set("complete", Napi::Value(env, fn));
  exports.Set("deleteContext", Napi::Function::New(env, DeleteContext));
  exports.Set("functions", Napi::Function::New(env, Functions));
  exports.Set("start", Napi::Function::New(env, Start));
  exports.Set("resume", Napi::Function::New(env, Resume));
  exports.Set("cancel", Napi::Function::New(env, Cancel));
  exports.Set("setStepInfo", Napi::Function::New(env, SetStepInfo));
  exports.Set("apiTable", Napi::Function::New(env, ApiTable));
#ifdef QCO_TEST_BUILD
  // Test and asan builds: the C suite, perf loops and demo functions.
  qco_register_test_functions();
  exports.Set("nativeCases", Napi::Function::New(env, NativeCases));
  exports.Set("runNativeCase", Napi::Function::New(env, RunNativeCase));
  exports.Set("perf", Napi::Function::New(env, Perf));
  exports.Set("pollFd", Napi::Function::New(env, PollFd));
#endif
  exports.Set("stackSize", Napi::Function::New(env, StackSize));
  exports.Set("enableOverflowCheck", Napi::Function::New(env, EnableOverflowCheck));
  exports.Set("stats", Napi::Function::New(env, Stats));
  return exports;
}

}  // namespace

NODE_API_MODULE(NODE_GYP_MODULE_NAME, Init)
