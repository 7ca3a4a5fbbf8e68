/*
 * C bodies JavaScript coroutines run with `yield* nativeCall(name, args)`: each
 * suspends the calling JavaScript coroutine from deep inside nested C calls (or
 * from inside a C coroutine), which is what a stackful backend is for. Also the
 * perf loops of test-coroutine.c, run entirely inside the module, and bodies
 * that overflow their stack or asyncify data on purpose.
 */
#include "asyncify-internal.h"
#include "qco-suite.h"

/* Keep the frames real: the optimizer must not fold the recursion away. */
static volatile int32_t sink;

/* Recurse `depth` calls, then suspend `yields` times with `op`; each frame checks its locals survived. */
static int32_t yield_at_depth(int32_t depth, int32_t yields, int32_t *bad, double (*op)(void)) {
  volatile int32_t mine[4] = {depth, depth * 3, depth * 7, ~depth};
  int32_t got = 0;
  if (depth == 0) {
    for (int32_t i = 0; i < yields; i++) got += (int32_t)op();
  } else {
    got = yield_at_depth(depth - 1, yields, bad, op);
  }
  if (mine[0] != depth || mine[1] != depth * 3 || mine[2] != depth * 7 || mine[3] != ~depth) (*bad)++;
  return got + depth;
}

/* deep_yield(depth, yields): sum of depths plus the inputs it was resumed with, or -1 if a frame was corrupted. */
static double deep_yield(const QcoArg *a, int n) {
  (void)n;
  int32_t bad = 0;
  int32_t r = yield_at_depth((int32_t)a[0].number, (int32_t)a[1].number, &bad, qco_yield);
  return bad ? -1 : r;
}

/* add(x, y): no yield at all. */
static double add(const QcoArg *a, int n) {
  (void)n;
  return a[0].number + a[1].number;
}

/* fill(bytes, value): set every byte of the lent buffer; returns its length. */
static double fill(const QcoArg *a, int n) {
  if (n < 2 || a[0].bytes == 0) return -1;
  for (size_t i = 0; i < a[0].length; i++) a[0].bytes[i] = (uint8_t)((int)a[1].number + (int)i);
  return (double)a[0].length;
}

/* locked_bump(mutex, counter address, yields): take the JS CoMutex, yield while holding it, release. */
static double locked_bump(const QcoArg *a, int n) {
  (void)n;
  int mutex = (int)a[0].number;
  volatile int32_t *counter = (volatile int32_t *)(uintptr_t)(uint32_t)a[1].number;
  qco_mutex_lock(mutex);
  int32_t seen = *counter;
  for (int32_t i = 0; i < (int32_t)a[2].number; i++) qco_yield();
  *counter = seen + 1;
  qco_mutex_unlock(mutex);
  return seen;
}

/* wait_fd(fd, write): one fd wait; returns what the wait returned. */
static double wait_fd(const QcoArg *a, int n) {
  (void)n;
  return qco_wait_fd((int)a[0].number, a[1].number != 0 ? QCO_FD_WRITE : QCO_FD_READ);
}

/* sleep_ms(ms): one timer wait. */
static double sleep_ms(const QcoArg *a, int n) {
  (void)n;
  return qco_sleep_ns((int64_t)(a[0].number * 1e6));
}

/* Scratch memory tests can write counters to (qco_scratch). */
static int32_t scratch[64];
__attribute__((export_name("qco_scratch"))) int32_t *qco_scratch(void) { return scratch; }

/* ---- a wait from inside a C coroutine suspends the whole native call ------- */

struct Relay { int32_t depth, waits, sum, bad; };

static double wait_any(void) { return qco_wait_fd(-1, QCO_FD_READ); }

static void relay_body(void *opaque) {
  struct Relay *r = opaque;
  int32_t bad = 0;
  r->sum = yield_at_depth(r->depth, r->waits, &bad, wait_any);
  r->bad = bad;
}

/* nested_wait(depth, waits): a C coroutine entered from the native call waits (fd -1) `waits` times from depth `depth`. */
static double nested_wait(const QcoArg *a, int n) {
  (void)n;
  struct Relay r = {(int32_t)a[0].number, (int32_t)a[1].number, 0, 0};
  QcoCoroutine *co = qco_create(relay_body, &r);
  if (!co) return -3;
  if (qco_enter(co) != 0) return -2;
  return r.bad ? -1 : r.sum;
}

/* ---- a C coroutine of the call yielding to its enterer from depth --------- */

struct Deep { int32_t depth, sum, bad, done; };

static void deep_body(void *opaque) {
  struct Deep *d = opaque;
  d->sum = yield_at_depth(d->depth, 3, &d->bad, qco_yield);
  d->done = 1;
}

/* coroutine_depth(depth): a C coroutine yields 3 times to the call from `depth` calls down; the sum of depths, -1 if a frame was corrupted. */
static double coroutine_depth(const QcoArg *a, int n) {
  (void)n;
  struct Deep d = {(int32_t)a[0].number, 0, 0, 0};
  QcoCoroutine *co = qco_create(deep_body, &d);
  if (!co) return -3;
  while (!d.done)
    if (qco_enter(co) != 0) return -2;
  return d.bad ? -1 : d.sum;
}

/* ---- overflow on purpose -------------------------------------------------- */

static int32_t burn_stack(int32_t n) {
  volatile uint8_t frame[1024];
  for (int32_t i = 0; i < 1024; i += 64) frame[(i + n) & 1023] = (uint8_t)n;
  if (n == 0) return frame[0];
  return burn_stack(n - 1) + frame[n & 1023];
}

/* stack_overflow(kib): recurse through ~kib KiB of shadow stack. */
static double stack_overflow(const QcoArg *a, int n) {
  (void)n;
  return burn_stack((int32_t)a[0].number);
}

/* Many locals live across the yield: each frame needs room in the asyncify data region. */
static int32_t fat_frames(int32_t n) {
  int32_t a0 = sink + n, a1 = a0 * 3, a2 = a1 ^ 5, a3 = a2 + 7, a4 = a3 * 11, a5 = a4 - 13, a6 = a5 * 17, a7 = a6 + 19;
  int32_t got = n == 0 ? (int32_t)qco_yield() : fat_frames(n - 1);
  return got + a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
}

/* data_overflow(depth): yield from `depth` calls down, more than the asyncify data region holds. */
static double data_overflow(const QcoArg *a, int n) {
  (void)n;
  return fat_frames((int32_t)a[0].number);
}

static void fat_body(void *opaque) { *(int32_t *)opaque = fat_frames(*(int32_t *)opaque); }

/* coroutine_data_overflow(depth): a C coroutine of the call (4 KiB of data) yields to the call from `depth` fat frames down. */
static double coroutine_data_overflow(const QcoArg *a, int n) {
  (void)n;
  int32_t v = (int32_t)a[0].number;
  QcoCoroutine *co = qco_create(fat_body, &v);
  if (!co) return -3;
  if (qco_enter(co) != 0 || qco_enter(co) != 0) return -2;
  return v;
}

/* ---- perf loops (test-coroutine.c's perf cases, run inside the module) --- */

static void perf_yield_body(void *opaque) {
  int32_t n = *(int32_t *)opaque;
  for (int32_t i = 0; i < n; i++) qco_yield();
}

/* perf_yield(n): one C coroutine yields n times; n enter+yield round trips. */
static double perf_yield(const QcoArg *a, int nargs) {
  (void)nargs;
  int32_t n = (int32_t)a[0].number;
  QcoCoroutine *co = qco_create(perf_yield_body, &n);
  if (!co) return -3;
  for (int32_t i = 0; i <= n; i++) qco_enter(co);
  return qco_live();
}

static void empty_body(void *opaque) { (void)opaque; }

/* perf_lifecycle(n): n create+enter of a body that returns at once. */
static double perf_lifecycle(const QcoArg *a, int n) {
  (void)n;
  int32_t count = (int32_t)a[0].number;
  for (int32_t i = 0; i < count; i++) qco_enter(qco_create(empty_body, 0));
  return qco_live();
}

static void yield_once_body(void *opaque) {
  (void)opaque;
  qco_yield();
}

/* perf_cost(n): n create+enter+yield+enter cycles (QEMU's /perf/cost). */
static double perf_cost(const QcoArg *a, int n) {
  (void)n;
  int32_t count = (int32_t)a[0].number;
  for (int32_t i = 0; i < count; i++) {
    QcoCoroutine *co = qco_create(yield_once_body, 0);
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
static double perf_function_call(const QcoArg *a, int n) {
  (void)n;
  int32_t (*volatile f)(int32_t) = noop_fn;
  int32_t x = 0;
  int32_t count = (int32_t)a[0].number; /* read once: the loop must time the calls alone */
  for (int32_t i = 0; i < count; i++) x = f(x);
  return x;
}

static void register_bodies(void) {
  qco_register_function("add", add);
  qco_register_function("fill", fill);
  qco_register_function("deep_yield", deep_yield);
  qco_register_function("nested_wait", nested_wait);
  qco_register_function("coroutine_depth", coroutine_depth);
  qco_register_function("locked_bump", locked_bump);
  qco_register_function("wait_fd", wait_fd);
  qco_register_function("sleep_ms", sleep_ms);
  qco_register_function("stack_overflow", stack_overflow);
  qco_register_function("data_overflow", data_overflow);
  qco_register_function("coroutine_data_overflow", coroutine_data_overflow);
  qco_register_function("perf_yield", perf_yield);
  qco_register_function("perf_lifecycle", perf_lifecycle);
  qco_register_function("perf_cost", perf_cost);
  qco_register_function("perf_function_call", perf_function_call);
}

QCO_MAIN(register_bodies)

/* ---- @qco/conformance's C suite (native-suite.c), run case by case from JavaScript ---- */

__attribute__((export_name("qco_suite_count"))) int32_t qco_suite_count(void) { return qco_native_case_count; }

__attribute__((export_name("qco_suite_name"))) const char *qco_suite_name(int32_t i) {
  return i >= 0 && i < qco_native_case_count ? qco_native_cases[i].name : 0;
}

/* Case `i` on a context of its own; JavaScript runs it with qco_run, reads qco_suite_result, frees it. */
__attribute__((export_name("qco_suite_start"))) QcoCoroutine *qco_suite_start(int32_t i, uint32_t data_size, uint32_t stack_size) {
  if (i < 0 || i >= qco_native_case_count) return 0;
  return qco_case_start(qco_native_cases[i].fn, data_size, stack_size);
}

__attribute__((export_name("qco_suite_result"))) const char *qco_suite_result(QcoCoroutine *ctx) { return qco_case_result(ctx); }
