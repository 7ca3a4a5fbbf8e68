/*
 * test-coroutine.c's cases with C bodies, written once against the public
 * qco.h and compiled by both toolchains: into the native backends' test
 * addons (and their AddressSanitizer program) and into the asyncify module.
 * Beside QEMU's cases, the stackful ones only C bodies have: a yield from
 * nested C calls, many live contexts, and QEMU's abort conditions turned into
 * refusals. Cases run outside any coroutine (the leader's place), so the
 * coroutines they create yield back to them.
 */
#include <stddef.h>
#include <qco.h>
#include "qco-suite.h"

#define CHECK_STR2(x) #x
#define CHECK_STR(x) CHECK_STR2(x)
#define CHECK(cond) \
  do { \
    if (!(cond)) return "line " CHECK_STR(__LINE__) ": check failed: " #cond; \
  } while (0)

/* Keep the frames real: the optimizer must not fold the recursion away. */
static volatile int sink;

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
  CHECK(qco_enter(c1) == 0);
  /* c1 ended and its memory is free again: reusing it must not disturb c2. */
  QcoCoroutine *reuse = qco_create(set_flag, &flag);
  CHECK(reuse != NULL);
  CHECK(qco_enter(c2) == 0);
  CHECK(!qco_entered(c2));
  CHECK(qco_enter(reuse) == 0);
  CHECK(flag == 1);
  return NULL;
}

/* /basic/lifecycle */
static const char *lifecycle(void) {
  int done = 0;
  CHECK(qco_enter(qco_create(set_flag, &done)) == 0);
  CHECK(done == 1);
  done = 0;
  CHECK(qco_enter(qco_create(set_flag, &done)) == 0);
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
  CHECK(co != NULL);
  while (!done) {
    CHECK(qco_enter(co) == 0);
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
  CHECK(qco_enter(qco_create(nest, &d)) == 0);
  CHECK(d.n_enter == 128 && d.n_return == 128);
  return NULL;
}

/* /basic/self */
static void record_self(void *opaque) { *(QcoCoroutine **)opaque = qco_self(); }
static const char *self_case(void) {
  QcoCoroutine *seen = NULL;
  QcoCoroutine *co = qco_create(record_self, &seen);
  CHECK(qco_enter(co) == 0);
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
  CHECK(qco_enter(co) == 0);
  CHECK(d.ok == 5);
  return NULL;
}

/* /basic/in_coroutine */
static void record_in(void *opaque) { *(int *)opaque = qco_in_coroutine(); }
static const char *in_coroutine(void) {
  int inside = 0;
  CHECK(!qco_in_coroutine());
  CHECK(qco_enter(qco_create(record_in, &inside)) == 0);
  CHECK(inside);
  CHECK(!qco_in_coroutine());
  return NULL;
}

/* /basic/order */
struct order {
  int n;
  int rec[5][2];
};
static void record(struct order *o, int a, int b) {
  o->rec[o->n][0] = a;
  o->rec[o->n][1] = b;
  o->n++;
}
static void order_body(void *opaque) {
  struct order *o = opaque;
  record(o, 2, 1);
  qco_yield();
  record(o, 2, 2);
}
static const char *order(void) {
  static const int want[5][2] = {{1, 1}, {2, 1}, {1, 2}, {2, 2}, {1, 3}};
  struct order o = {0, {{0}}};
  QcoCoroutine *co = qco_create(order_body, &o);
  record(&o, 1, 1);
  qco_enter(co);
  record(&o, 1, 2);
  qco_enter(co);
  record(&o, 1, 3);
  CHECK(o.n == 5);
  for (int i = 0; i < 5; i++) CHECK(o.rec[i][0] == want[i][0] && o.rec[i][1] == want[i][1]);
  return NULL;
}

/* /native/reenter-refused: entering an entered coroutine does nothing and fails. */
static void try_reenter(void *opaque) { *(int *)opaque = qco_enter(qco_self()); }
static const char *reenter_refused(void) {
  int r = 0;
  CHECK(qco_enter(qco_create(try_reenter, &r)) == 0);
  CHECK(r < 0);
  CHECK(!qco_in_coroutine());
  return NULL;
}

/* /native/yield-to-no-one: outside any coroutine a yield and the waits refuse at once. */
static const char *yield_to_no_one(void) {
  CHECK(qco_yield() < 0);
  CHECK(qco_sleep_ns(0) < 0);
  CHECK(qco_wait_fd(0, QCO_FD_READ) < 0);
  CHECK(!qco_in_coroutine());
  return NULL;
}

/* Nested calls that keep their frames: every level checks its locals after the yields. */
static int __attribute__((noinline)) deep(int depth, int yields, int *trail) {
  volatile int mine[3] = {depth, depth * 5, ~depth};
  int r;
  if (depth > 0) {
    r = deep(depth - 1, yields, trail);
  } else {
    for (int i = 0; i < yields; i++) {
      qco_yield();
      (*trail)++;
    }
    r = 0;
  }
  if (mine[0] != depth || mine[1] != depth * 5 || mine[2] != ~depth) return -100000;
  return r + depth + sink;
}
struct deep_data {
  int depth, sum, trail, done;
};
static void deep_body(void *opaque) {
  struct deep_data *d = opaque;
  d->sum = deep(d->depth, 3, &d->trail);
  d->done = 1;
}
static const char *yield_from(int depth) {
  struct deep_data d = {depth, 0, 0, 0};
  QcoCoroutine *co = qco_create(deep_body, &d);
  CHECK(co != NULL);
  int enters = 0;
  for (; !d.done; enters++) CHECK(qco_enter(co) == 0);
  CHECK(enters == 4);
  CHECK(d.trail == 3);
  CHECK(d.sum == depth * (depth + 1) / 2);
  return NULL;
}
/* /native/yield-from-depth-16 and -100: frames of nested calls survive 3 yields. */
static const char *yield_from_depth_16(void) { return yield_from(16); }
static const char *yield_from_depth_100(void) { return yield_from(100); }

/* /native/10000-live: ten thousand contexts alive at once, each keeping its own frame. */
#define N_LIVE 10000
struct live_data {
  int n;
  long out;
};
static struct live_data live[N_LIVE];
static QcoCoroutine *live_co[N_LIVE];
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
  for (int i = 0; i < N_LIVE; i++) {
    live[i].n = i;
    live[i].out = 0;
    live_co[i] = qco_create(live_body, &live[i]);
    CHECK(live_co[i] != NULL);
  }
  for (int round = 0; round < 4; round++)
    for (int i = 0; i < N_LIVE; i++) CHECK(qco_enter(live_co[i]) == 0);
  for (int i = 0; i < N_LIVE; i++) CHECK(live[i].out == 3 * (64L * i + 28));
  return NULL;
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
    {"/native/yield-to-no-one", yield_to_no_one},
    {"/native/yield-from-depth-16", yield_from_depth_16},
    {"/native/yield-from-depth-100", yield_from_depth_100},
    {"/native/10000-live", many_live},
};
const int qco_native_case_count = (int)(sizeof qco_native_cases / sizeof qco_native_cases[0]);
