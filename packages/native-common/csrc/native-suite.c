/*
 * test-coroutine.c's cases with C bodies, on the same native contexts the
 * JavaScript backends use, plus the stackful cases only C bodies have (yield from
 * nested C calls, many live contexts), and QEMU's perf loops timed in C. Run from
 * the addon by the JS tests and from asan-main.c under AddressSanitizer.
 * A case returns NULL on success, else what went wrong.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "qco-internal.h"

#define CHECK(cond) \
  do { \
    if (!(cond)) return "check failed: " #cond; \
  } while (0)

/* /basic/no-dangling-access */
static void yield_once(void *opaque) {
  (void)opaque;
  qco_yield();
}
static void enter_other(void *opaque) { qco_enter((QcoCoroutine *)opaque); }
static void set_flag(void *opaque) { *(int *)opaque = 1; }

static const char *no_dangling_access(void) {
  int flag = 0;
  QcoCoroutine *c2 = qco_create(yield_once, NULL);
  QcoCoroutine *c1 = qco_create(enter_other, c2);
  CHECK(c1 && c2);
  qco_enter(c1);
  /* c1 ended and is back in the pool: reusing it must not disturb c2. */
  QcoCoroutine *reuse = qco_create(set_flag, &flag);
  CHECK(reuse == c1);
  qco_enter(c2);
  CHECK(!qco_entered(c2));
  qco_enter(reuse);
  CHECK(flag == 1);
  return NULL;
}

/* /basic/lifecycle */
static const char *lifecycle(void) {
  int done = 0;
  qco_enter(qco_create(set_flag, &done));
  CHECK(done == 1);
  done = 0;
  qco_enter(qco_create(set_flag, &done));
  CHECK(done == 1);
  return NULL;
}

/* /basic/yield */
static void yield_five(void *opaque) {
  for (int i = 0; i < 5; i++) qco_yield();
  *(int *)opaque = 1;
}
static const char *yield_case(void) {
  int done = 0, i = -1;
  QcoCoroutine *co = qco_create(yield_five, &done);
  while (!done) {
    qco_enter(co);
    i++;
  }
  CHECK(i == 5);
  return NULL;
}

/* /basic/nesting */
struct nest_data {
  int n_enter, n_return, max;
};
static void nest(void *opaque) {
  struct nest_data *d = opaque;
  d->n_enter++;
  if (d->n_enter < d->max) qco_enter(qco_create(nest, d));
  d->n_return++;
}
static const char *nesting(void) {
  struct nest_data d = {0, 0, 128};
  qco_enter(qco_create(nest, &d));
  CHECK(d.n_enter == 128 && d.n_return == 128);
  return NULL;
}

/* /basic/self */
static void record_self(void *opaque) { *(QcoCoroutine **)opaque = qco_self(); }
static const char *self_case(void) {
  QcoCoroutine *seen = NULL;
  QcoCoroutine *co = qco_create(record_self, &seen);
  qco_enter(co);
  CHECK(seen == co);
  CHECK(qco_self() != co);
  return NULL;
}

/* /basic/entered */
struct entered_data {
  QcoCoroutine *caller;
  int ok;
};
static void entered_step2(void *opaque) {
  struct entered_data *d = opaque;
  d->ok += qco_entered(d->caller) && qco_entered(qco_self());
  qco_yield();
  d->ok += qco_entered(d->caller) && qco_entered(qco_self());
}
static void entered_step1(void *opaque) {
  struct entered_data *d = opaque;
  d->caller = qco_self();
  d->ok += qco_entered(d->caller);
  QcoCoroutine *co = qco_create(entered_step2, d);
  d->ok += !qco_entered(co);
  qco_enter(co);
  d->ok += !qco_entered(co);
  qco_enter(co);
}
static const char *entered(void) {
  struct entered_data d = {NULL, 0};
  QcoCoroutine *co = qco_create(entered_step1, &d);
  CHECK(!qco_entered(co));
  qco_enter(co);
  CHECK(d.ok == 5);
  return NULL;
}

/* /basic/in_coroutine */
static void record_in(void *opaque) { *(int *)opaque = qco_in_coroutine(); }
static const char *in_coroutine(void) {
  int inside = 0;
  CHECK(!qco_in_coroutine());
  qco_enter(qco_create(record_in, &inside));
  CHECK(inside);
  CHECK(!qco_in_coroutine());
  return NULL;
}

/* /basic/order */
static int records[5][2], n_records;
static void record(int a, int b) {
  records[n_records][0] = a;
  records[n_records][1] = b;
  n_records++;
}
static void order_body(void *opaque) {
  (void)opaque;
  record(2, 1);
  qco_yield();
  record(2, 2);
}
static const char *order(void) {
  static const int want[5][2] = {{1, 1}, {2, 1}, {1, 2}, {2, 2}, {1, 3}};
  n_records = 0;
  QcoCoroutine *co = qco_create(order_body, NULL);
  record(1, 1);
  qco_enter(co);
  record(1, 2);
  qco_enter(co);
  record(1, 3);
  CHECK(n_records == 5);
  for (int i = 0; i < 5; i++) CHECK(records[i][0] == want[i][0] && records[i][1] == want[i][1]);
  return NULL;
}

/* /native/reenter-refused: entering an entered coroutine does nothing and fails. */
static void try_reenter(void *opaque) { *(int *)opaque = qco_enter(qco_self()); }
static const char *reenter_refused(void) {
  int r = 0;
  qco_enter(qco_create(try_reenter, &r));
  CHECK(r == -1);
  CHECK(!qco_in_coroutine());
  return NULL;
}

/* /native/yield-from-depth-16: frames of 16 nested calls survive 3 yields. */
static int __attribute__((noinline)) deep(int depth, int *trail) {
  volatile int local = depth * 7;
  if (depth > 0) return deep(depth - 1, trail) + local;
  for (int i = 0; i < 3; i++) {
    qco_yield();
    (*trail)++;
  }
  return local;
}
struct deep_data {
  int sum, trail;
};
static void deep_body(void *opaque) {
  struct deep_data *d = opaque;
  d->sum = deep(16, &d->trail);
}
static const char *yield_from_depth(void) {
  struct deep_data d = {0, 0};
  QcoCoroutine *co = qco_create(deep_body, &d);
  int enters = 0;
  for (; d.sum == 0; enters++) qco_enter(co);
  CHECK(enters == 4);
  CHECK(d.trail == 3);
  CHECK(d.sum == 7 * 16 * 17 / 2);
  return NULL;
}

/* /native/10000-live: ten thousand contexts alive at once, each keeping its own frame. */
#define N_LIVE 10000
struct live_data {
  int n;
  long out;
};
static void live_body(void *opaque) {
  struct live_data *d = opaque;
  volatile long mine[8];
  for (int k = 0; k < 8; k++) mine[k] = (long)d->n * 8 + k;
  for (int r = 0; r < 3; r++) {
    qco_yield();
    long s = 0;
    for (int k = 0; k < 8; k++) s += mine[k];
    d->out += s;
  }
}
static const char *many_live(void) {
  QcoCoroutine **cos = malloc(N_LIVE * sizeof *cos);
  struct live_data *data = calloc(N_LIVE, sizeof *data);
  const char *err = NULL;
  if (cos == NULL || data == NULL) {
    err = "out of memory";
    goto out;
  }
  for (int i = 0; i < N_LIVE; i++) {
    data[i].n = i;
    cos[i] = qco_create(live_body, &data[i]);
    if (cos[i] == NULL) {
      err = "qco_create failed";
      goto out;
    }
  }
  for (int round = 0; round < 4; round++)
    for (int i = 0; i < N_LIVE; i++) qco_enter(cos[i]);
  for (int i = 0; i < N_LIVE; i++) {
    long want = 3 * (64L * i + 28);
    if (data[i].out != want) {
      err = "a context lost its frame";
      break;
    }
  }
out:
  free(cos);
  free(data);
  qco_pool_trim(64);
  return err;
}

const QcoCase qco_native_cases[] = {
    {"/basic/no-dangling-access", no_dangling_access},
    {"/basic/lifecycle", lifecycle},
    {"/basic/yield", yield_case},
    {"/basic/nesting", nesting},
    {"/basic/self", self_case},
    {"/basic/entered", entered},
    {"/basic/in_coroutine", in_coroutine},
    {"/basic/order", order},
    {"/native/reenter-refused", reenter_refused},
    {"/native/yield-from-depth-16", yield_from_depth},
    {"/native/10000-live", many_live},
};
const int qco_native_case_count = (int)(sizeof qco_native_cases / sizeof qco_native_cases[0]);

/* --- perf loops (QEMU's perf_* cases) ------------------------------------------------ */

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static volatile int perf_stop; /* never set: perf bodies are dropped by restarting their context */

static void yield_forever(void *opaque) {
  volatile unsigned long *counter = opaque;
  while (!perf_stop) {
    (*counter)++;
    qco_yield();
  }
}
static void yield_forever_deep(void *opaque);
static int __attribute__((noinline)) deep_loop(int depth, volatile unsigned long *counter) {
  volatile int local = depth;
  if (depth > 0) return deep_loop(depth - 1, counter) + local;
  while (!perf_stop) {
    (*counter)++;
    qco_yield();
  }
  return 0;
}
static void yield_forever_deep(void *opaque) { deep_loop(16, opaque); }
static void empty_body(void *opaque) { (void)opaque; }
static void __attribute__((noinline)) plain_call(volatile unsigned long *counter) { (*counter)++; }

double qco_perf(const char *name, double iterations) {
  unsigned long n = (unsigned long)iterations;
  volatile unsigned long counter = 0;
  double t0, t1;
  if (strcmp(name, "yield") == 0 || strcmp(name, "yield-depth-16") == 0) {
    QcoCoroutine *co = qco_create(name[5] ? yield_forever_deep : yield_forever, (void *)&counter);
    if (co == NULL) return -1;
    qco_enter(co); /* warm: the first enter starts the body */
    t0 = now_ns();
    for (unsigned long i = 0; i < n; i++) qco_enter(co);
    t1 = now_ns();
    /* The body never ends: drop its frames by restarting the context. */
    qco_routine_cancel(co);
    return t1 - t0;
  }
  if (strcmp(name, "lifecycle") == 0) {
    t0 = now_ns();
    for (unsigned long i = 0; i < n; i++) qco_enter(qco_create(empty_body, NULL));
    t1 = now_ns();
    return t1 - t0;
  }
  if (strcmp(name, "cost") == 0) {
    t0 = now_ns();
    for (unsigned long i = 0; i < n; i++) {
      QcoCoroutine *co = qco_create(yield_once, NULL);
      qco_enter(co);
      qco_enter(co);
    }
    t1 = now_ns();
    return t1 - t0;
  }
  if (strcmp(name, "create-fresh") == 0) {
    /* Creation on a fresh stack each time: the start method's cost. */
    t0 = now_ns();
    for (unsigned long i = 0; i < n; i++) {
      qco_pool_trim(0);
      QcoCoroutine *co = qco_context_new(QCO_BODY_C);
      if (co == NULL) return -1;
      co->entry = empty_body;
      qco_enter(co);
    }
    t1 = now_ns();
    return t1 - t0;
  }
  if (strcmp(name, "function-call") == 0) {
    t0 = now_ns();
    for (unsigned long i = 0; i < n; i++) plain_call(&counter);
    t1 = now_ns();
    return t1 - t0;
  }
  return -1;
}
