/*
 * qco's C coroutine API: one header for every stackful backend (native-ucontext,
 * sigaltstack, asyncify), with the same functions and types everywhere.
 *
 * C code runs on a coroutine context of its own and may yield from any depth of
 * nested calls. A C function registered with qco_register_function is run from
 * JavaScript with `yield* nativeCall(name, args)`: each qco_yield() becomes a
 * yield of the calling JavaScript coroutine, and each wait below becomes a
 * request the JavaScript core serves (an AioContext fd handler, a timer, a
 * CoMutex) before it resumes the C code with the result. C coroutines of
 * their own (qco_create / qco_enter) nest inside such a call.
 *
 * A consumer's C file is the same for every backend:
 *
 *     #include <qco.h>
 *     static double count_lines(const QcoArg *args, int nargs) { ... qco_wait_fd(fd, QCO_FD_READ) ... }
 *     static void register_functions(void) { qco_register_function("count_lines", count_lines); }
 *     QCO_MAIN(register_functions)
 *
 * Built as a Node addon (node-gyp, include_dirs from
 * `require('@qco/native-common/gyp').includeDir`), QCO_MAIN defines the addon's
 * init and the calls go through the running backend's function table; built by
 * `qco-asyncify-build` (@qco/backend-asyncify) into a wasm module with the
 * runtime, they are direct calls into it. JavaScript loads either with
 * `useNativeFunctions({ addon, wasm })` from @qco/core.
 *
 * The semantics are the same on every backend: qco_yield gives control to
 * whoever entered the running context (a C coroutine's enterer; for the function
 * run from JavaScript, the JavaScript coroutine). The waits suspend the whole
 * call from JavaScript, also from inside a C coroutine it entered, until the
 * core serves them; where nobody can serve one (outside such a call) a wait and
 * qco_yield return -1 at once. The C coroutines a call created end with it:
 * when the call returns or is cancelled, those still suspended are dropped and
 * their handles must not be used again.
 *
 * In a wasm module (asyncify), C runs in WebAssembly: `qco-asyncify-build` links
 * it with wasi-libc, so read/write/fcntl/malloc work, but only on WASI's fds —
 * 0, 1 and 2 are the process's stdin, stdout and stderr, no other host fd is
 * reachable — and errno values are WASI's numbers (EINVAL is 28, not Linux's 22):
 * give JavaScript a result it can read the same everywhere (see strerror).
 * qco_wait_fd's fd is then a WASI fd; the core's wait is a short back-off on
 * every backend, after which the C code retries its non-blocking call.
 */
#ifndef QCO_H
#define QCO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of this API; a consumer built against another one is refused at registration. */
#define QCO_API_VERSION 1

typedef struct QcoCoroutine QcoCoroutine;

/* A C coroutine body (QEMU's CoroutineEntry). */
typedef void QcoEntry(void *opaque);

/* Readiness a native fd wait asks for. */
enum { QCO_FD_READ = 1, QCO_FD_WRITE = 2 };

/* An argument from JavaScript: a number, or a byte buffer (a Uint8Array). */
typedef struct QcoArg {
  double number;  /* the number; 0 for a buffer */
  uint8_t *bytes; /* the buffer's bytes, NULL for a number; valid (and writable) until the function returns */
  size_t length;  /* the buffer's length in bytes; 0 for a number */
} QcoArg;

/* At most this many arguments reach a function; more are an error in JavaScript. */
#define QCO_MAX_ARGS 8

/* A C function JavaScript runs on a coroutine context of its own; returns a number. */
typedef double QcoFunction(const QcoArg *args, int nargs);

/* The API as a table: what a consumer's addon calls through (see QCO_MAIN). */
typedef struct QcoApi {
  int version; /* QCO_API_VERSION */
  QcoCoroutine *(*create)(QcoEntry *entry, void *opaque);
  int (*enter)(QcoCoroutine *co);
  double (*yield)(void);
  QcoCoroutine *(*self)(void);
  int (*in_coroutine)(void);
  int (*entered)(QcoCoroutine *co);
  double (*wait_fd)(int fd, int events);
  double (*sleep_ns)(int64_t ns);
  void (*mutex_lock)(int mutex);
  void (*mutex_unlock)(int mutex);
  int (*register_function)(const char *name, QcoFunction *fn);
} QcoApi;

#if defined(NODE_GYP_MODULE_NAME) && !defined(QCO_RUNTIME)
/* --- a consumer's addon: every call goes through the running backend's table --- */
#include <node_api.h>

extern const QcoApi *qco_api;
static inline QcoCoroutine *qco_create(QcoEntry *entry, void *opaque) { return qco_api->create(entry, opaque); }
static inline int qco_enter(QcoCoroutine *co) { return qco_api->enter(co); }
static inline double qco_yield(void) { return qco_api->yield(); }
static inline QcoCoroutine *qco_self(void) { return qco_api->self(); }
static inline int qco_in_coroutine(void) { return qco_api->in_coroutine(); }
static inline int qco_entered(QcoCoroutine *co) { return qco_api->entered(co); }
static inline double qco_wait_fd(int fd, int events) { return qco_api->wait_fd(fd, events); }
static inline double qco_sleep_ns(int64_t ns) { return qco_api->sleep_ns(ns); }
static inline void qco_mutex_lock(int mutex) { qco_api->mutex_lock(mutex); }
static inline void qco_mutex_unlock(int mutex) { qco_api->mutex_unlock(mutex); }
static inline int qco_register_function(const char *name, QcoFunction *fn) { return qco_api->register_function(name, fn); }

/* The addon's init: exports qcoRegister(table), which the backend calls to hand over its table. */
#define QCO_MAIN(register_functions)                                                                        \
  const QcoApi *qco_api;                                                                                   \
  static napi_value qco_main_register_(napi_env env, napi_callback_info info) {                            \
    size_t argc = 1;                                                                                       \
    napi_value argv[1];                                                                                    \
    void *table = NULL;                                                                                    \
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||                     \
        napi_get_value_external(env, argv[0], &table) != napi_ok || table == NULL) {                       \
      napi_throw_type_error(env, NULL, "qco: qcoRegister expects the backend's API table");                \
      return NULL;                                                                                         \
    }                                                                                                      \
    if (((const QcoApi *)table)->version != QCO_API_VERSION) {                                             \
      napi_throw_error(env, NULL, "qco: this addon was built against another version of qco.h");           \
      return NULL;                                                                                         \
    }                                                                                                      \
    if (qco_api != NULL && qco_api != (const QcoApi *)table) {                                             \
      napi_throw_error(env, NULL, "qco: this addon is already registered with another backend's runtime (one backend per process)"); \
      return NULL;                                                                                         \
    }                                                                                                      \
    qco_api = (const QcoApi *)table;                                                                       \
    register_functions();                                                                                  \
    return NULL;                                                                                           \
  }                                                                                                        \
  NAPI_MODULE_INIT() {                                                                                     \
    napi_value fn;                                                                                         \
    if (napi_create_function(env, "qcoRegister", NAPI_AUTO_LENGTH, qco_main_register_, NULL, &fn) == napi_ok) \
      napi_set_named_property(env, exports, "qcoRegister", fn);                                            \
    return exports;                                                                                        \
  }

#else
/* --- the runtime itself, and C compiled into it (the asyncify module) --- */

/* Create a coroutine that runs entry(opaque) when entered; NULL when out of memory. */
QcoCoroutine *qco_create(QcoEntry *entry, void *opaque);
/* Run co until it yields or ends (a terminated coroutine is freed). 0, or negative (and nothing done) when co is running or entered. */
int qco_enter(QcoCoroutine *co);
/* Give control back to whoever entered the running coroutine; returns the value it is resumed with
 * (0 for a plain re-entry). Negative when there is nobody to yield to. */
double qco_yield(void);
/* The running coroutine, or the running native call's own context outside any C coroutine. */
QcoCoroutine *qco_self(void);
/* Whether code runs on a coroutine context (a C coroutine, or a function run from JavaScript). */
int qco_in_coroutine(void);
/* Whether co is entered and has not yielded since. */
int qco_entered(QcoCoroutine *co);
/* Waits served by the JavaScript core, inside a function run from JavaScript (at any depth, in any C
 * coroutine it entered): each suspends the whole call and returns what the core resumes it with, 0 or
 * a negative value; -1 at once outside such a call. */
double qco_wait_fd(int fd, int events);
double qco_sleep_ns(int64_t ns);
void qco_mutex_lock(int mutex);
void qco_mutex_unlock(int mutex);
/* Make `fn` runnable from JavaScript as `name`; 0, or negative when the name is taken or there is no memory. */
int qco_register_function(const char *name, QcoFunction *fn);

/* C compiled into the runtime registers its functions when the runtime starts. */
#define QCO_MAIN(register_functions) \
  void qco_user_main(void) { register_functions(); }
#endif

#ifdef __cplusplus
}
#endif
#endif
