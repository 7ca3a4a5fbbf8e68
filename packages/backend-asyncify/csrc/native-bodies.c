/*
 * C bodies JavaScript coroutines run with `yield* nativeCall(name, args)`: each
 * suspends the calling JavaScript coroutine from deep inside nested C calls (or
 * from inside a C coroutine), which is what a stackful backend is for. Also the
 * perf loops of test-coroutine.c, run entirely inside the module, and bodies
 * that overflow their stack or asyncify data on purpose.
 */
#include "qco-asyncify.h"

/* Keep the frames real: the optimizer must not fold the recursion away. */
static volatile int32_t sink;

/* Recurse `depth` calls, then yield `yields` times to the JS coroutine; each frame checks its locals survived. */
static int32_t yield_at_depth(int32_t depth, int32_t yields, int32_t *bad) {
  volatile int32_t mine[4] = {depth, depth * 3, depth * 7, ~depth};
  int32_t got = 0;
  if (depth == 0) {
    for (int32_t i = 0; i < yields; i++) got += qco_native_yield();
  } else {
    got = yield_at_depth(depth - 1, yields, bad);
  }
  if (mine[0] != depth || mine[1] != depth * 3 || mine[2] != depth * 7 || mine[3] != ~depth) (*bad)++;
  return got + depth;
}

/* deep_yield(depth, yields): sum of depths plus the inputs it was resumed with, or -1 if a frame was corrupted. */
static int32_t deep_yield(const int32_t *a) {
  int32_t bad = 0;
  int32_t r = yield_at_depth(a[0], a[1], &bad);
  return bad ? -1 : r;
}

/* add(x, y): no yield at all. */
static int32_t add(const int32_t *a) { return a[0] + a[1]; }

/* locked_bump(mutex, counter address, yields): take the JS CoMutex, yield while holding it, release. */
static int32_t locked_bump(const int32_t *a) {
  volatile int32_t *counter = (volatile int32_t *)(uintptr_t)(uint32_t)a[1];
  qco_mutex_lock(a[0]);
  int32_t seen = *counter;
  for (int32_t i = 0; i < a[2]; i++) qco_native_yield();
  *counter = seen + 1;
  qco_mutex_unlock(a[0]);
  return seen;
}

/* wait_fd(fd, write): one fd wait; returns what the wait returned. */
static int32_t wait_fd(const int32_t *a) { return qco_wait_fd(a[0], a[1]); }

/* sleep_ms(ms): one timer wait. */
static int32_t sleep_ms(const int32_t *a) { return qco_sleep_ns((double)a[0] * 1e6); }

/* Scratch memory tests can write counters to (qco_scratch). */
static int32_t scratch[64];
__attribute__((export_name("qco_scratch"))) int32_t *qco_scratch(void) { return scratch; }

/* ---- C coroutines yielding to JavaScript from inside a C coroutine -------- */

struct Relay { int32_t depth, yields, sum, bad; };

static void relay_body(void *opaque) {
  struct Relay *r = opaque;
  int32_t bad = 0;
  r->sum = yield_at_depth(r->depth, r->yields, &bad);
  r->bad = bad;
}

/* nested_native_yield(depth, yields): a C coroutine entered from the native call yields to JS from depth `depth`. */
static int32_t nested_native_yield(const int32_t *a) {
  struct Relay r = {a[0], a[1], 0, 0};
  QcoCtx *co = qco_create(relay_body, &r);
  if (!co) return -3;
  if (qco_enter(co) != QCO_OK) return -2;
  return r.bad ? -1 : r.sum;
}

/* ---- overflow on purpose -------------------------------------------------- */

static int32_t burn_stack(int32_t n) {
  volatile uint8_t frame[1024];
  for (int32_t i = 0; i < 1024; i += 64) frame[(i + n) & 1023] = (uint8_t)n;
  if (n == 0) return frame[0];
  return burn_stack(n - 1) + frame[n & 1023];
}

/* stack_overflow(kib): recurse through ~kib KiB of shadow stack. */
static int32_t stack_overflow(const int32_t *a) { return burn_stack(a[0]); }

/* Many locals live across the yield: each frame needs room in the asyncify data region. */
static int32_t fat_frames(int32_t n) {
  int32_t a0 = sink + n, a1 = a0 * 3, a2 = a1 ^ 5, a3 = a2 + 7, a4 = a3 * 11, a5 = a4 - 13, a6 = a5 * 17, a7 = a6 + 19;
  int32_t got = n == 0 ? qco_native_yield() : fat_frames(n - 1);
  return got + a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
}

/* data_overflow(depth): yield from `depth` calls down, more than the asyncify data region holds. */
static int32_t data_overflow(const int32_t *a) { return fat_frames(a[0]); }

/* ---- perf loops (test-coroutine.c's perf cases, run inside the module) --- */

static void perf_yield_body(void *opaque) {
  int32_t n = *(int32_t *)opaque;
  for (int32_t i = 0; i < n; i++) qco_yield();
}

/* perf_yield(n): one C coroutine yields n times; n enter+yield round trips. */
static int32_t perf_yield(const int32_t *a) {
  int32_t n = a[0];
  QcoCtx *co = qco_create(perf_yield_body, &n);
  if (!co) return -3;
  for (int32_t i = 0; i <= n; i++) qco_enter(co);
  return qco_live();
}

static void empty_body(void *opaque) { (void)opaque; }

/* perf_lifecycle(n): n create+enter of a body that returns at once. */
static int32_t perf_lifecycle(const int32_t *a) {
  for (int32_t i = 0; i < a[0]; i++) qco_enter(qco_create(empty_body, 0));
  return qco_live();
}

static void yield_once_body(void *opaque) {
  (void)opaque;
  qco_yield();
}

/* perf_cost(n): n create+enter+yield+enter cycles (QEMU's /perf/cost). */
static int32_t perf_cost(const int32_t *a) {
  for (int32_t i = 0; i < a[0]; i++) {
    QcoCtx *co = qco_create(yield_once_body, 0);
    qco_enter(co);
    qco_enter(co);
  }
  return qco_live();
}

static int32_t noop_fn(int32_t x) {
  sink = x;
  return x + 1;
}

/* perf_function_call(n): n plain calls, the baseline QEMU's /perf/function-call gives. */
static int32_t perf_function_call(const int32_t *a) {
  int32_t (*volatile f)(int32_t) = noop_fn;
  int32_t x = 0;
  for (int32_t i = 0; i < a[0]; i++) x = f(x);
  return x;
}

void qco_register_suite(void);

void qco_register_all(void) {
  qco_register("add", add);
  qco_register("deep_yield", deep_yield);
  qco_register("nested_native_yield", nested_native_yield);
  qco_register("locked_bump", locked_bump);
  qco_register("wait_fd", wait_fd);
  qco_register("sleep_ms", sleep_ms);
  qco_register("stack_overflow", stack_overflow);
  qco_register("data_overflow", data_overflow);
  qco_register("perf_yield", perf_yield);
  qco_register("perf_lifecycle", perf_lifecycle);
  qco_register("perf_cost", perf_cost);
  qco_register("perf_function_call", perf_function_call);
  qco_register_suite();
}
