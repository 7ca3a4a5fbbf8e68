/*
 * test-coroutine.c's cases with C bodies, run inside the wasm module: each case
 * is a native function (test_basic_yield, …) that returns 0 when it passes or
 * the line of the first failed check, so the JavaScript test names the failure.
 * The case runs as a native call's root context, which plays QEMU's leader: it
 * is not "in a coroutine", and the C coroutines it creates yield back to it.
 */
#include "qco-asyncify.h"

#define CHECK(cond) \
  do { \
    if (!(cond)) return __LINE__; \
  } while (0)

/* ---- /basic/no-dangling-access ---- */

static void yield_once(void *opaque) {
  (void)opaque;
  qco_yield();
}

static void enter_other(void *opaque) { qco_enter((QcoCtx *)opaque); }

static int32_t test_no_dangling_access(const int32_t *a) {
  (void)a;
  QcoCtx *c2 = qco_create(yield_once, 0);
  QcoCtx *c1 = qco_create(enter_other, c2);
  CHECK(qco_enter(c1) == QCO_OK);
  /* c1 ended and its block is free: reusing it must not disturb c2. */
  QcoCtx *reuse = qco_create(yield_once, 0);
  CHECK(qco_enter(c2) == QCO_OK);
  CHECK(qco_enter(reuse) == QCO_OK);
  CHECK(qco_enter(reuse) == QCO_OK);
  return 0;
}

/* ---- /basic/lifecycle ---- */

static void set_and_exit(void *opaque) { *(int *)opaque = 1; }

static int32_t test_lifecycle(const int32_t *a) {
  (void)a;
  int done = 0;
  int before = qco_live();
  CHECK(qco_enter(qco_create(set_and_exit, &done)) == QCO_OK);
  CHECK(done == 1);
  done = 0;
  CHECK(qco_enter(qco_create(set_and_exit, &done)) == QCO_OK);
  CHECK(done == 1);
  CHECK(qco_live() == before);
  return 0;
}

/* ---- /basic/yield ---- */

static void yield_5_times(void *opaque) {
  int *done = opaque;
  for (int i = 0; i < 5; i++) qco_yield();
  *done = 1;
}

static int32_t test_yield(const int32_t *a) {
  (void)a;
  int done = 0;
  int i = -1;
  QcoCtx *co = qco_create(yield_5_times, &done);
  while (!done) {
    CHECK(qco_enter(co) == QCO_OK);
    i++;
  }
  CHECK(i == 5);
  return 0;
}

/* ---- /basic/nesting ---- */

struct NestData { int n_enter, n_return, max; };

static void nest(void *opaque) {
  struct NestData *nd = opaque;
  nd->n_enter++;
  if (nd->n_enter < nd->max) qco_enter(qco_create(nest, nd));
  nd->n_return++;
}

static int32_t test_nesting(const int32_t *a) {
  struct NestData nd = {0, 0, a[0] > 0 ? a[0] : 128};
  CHECK(qco_enter(qco_create(nest, &nd)) == QCO_OK);
  CHECK(nd.n_enter == nd.max);
  CHECK(nd.n_return == nd.max);
  return 0;
}

/* ---- /basic/self ---- */

static void verify_self(void *opaque) { *(QcoCtx **)opaque = qco_self(); }

static int32_t test_self(const int32_t *a) {
  (void)a;
  QcoCtx *seen = 0;
  QcoCtx *co = qco_create(verify_self, &seen);
  CHECK(qco_enter(co) == QCO_OK);
  CHECK(seen == co);
  CHECK(qco_self() != co);
  return 0;
}

/* ---- /basic/entered ---- */

struct EnteredData { QcoCtx *caller; int checks; };

static void verify_entered_step_2(void *opaque) {
  struct EnteredData *d = opaque;
  d->checks += qco_entered(d->caller);
  d->checks += qco_entered(qco_self());
  qco_yield();
  d->checks += qco_entered(d->caller);
  d->checks += qco_entered(qco_self());
}

static void verify_entered_step_1(void *opaque) {
  struct EnteredData *d = opaque;
  d->caller = qco_self();
  d->checks += qco_entered(d->caller);
  QcoCtx *co = qco_create(verify_entered_step_2, d);
  d->checks += !qco_entered(co);
  qco_enter(co);
  d->checks += !qco_entered(co);
  qco_enter(co);
}

static int32_t test_entered(const int32_t *a) {
  (void)a;
  struct EnteredData d = {0, 0};
  QcoCtx *co = qco_create(verify_entered_step_1, &d);
  CHECK(!qco_entered(co));
  CHECK(qco_enter(co) == QCO_OK);
  CHECK(d.checks == 7);
  return 0;
}

/* ---- /basic/in_coroutine ---- */

static void verify_in_coroutine(void *opaque) { *(int *)opaque = qco_in_coroutine(); }

static int32_t test_in_coroutine(const int32_t *a) {
  (void)a;
  int inside = 0;
  CHECK(!qco_in_coroutine());
  CHECK(qco_enter(qco_create(verify_in_coroutine, &inside)) == QCO_OK);
  CHECK(inside == 1);
  CHECK(!qco_in_coroutine());
  return 0;
}

/* ---- /basic/order ---- */

struct Order { int n; int rec[5][2]; };

static void record(struct Order *o, int func, int state) {
  o->rec[o->n][0] = func;
  o->rec[o->n][1] = state;
  o->n++;
}

static void co_order_test(void *opaque) {
  struct Order *o = opaque;
  record(o, 2, 1);
  if (!qco_in_coroutine()) return;
  qco_yield();
  record(o, 2, 2);
}

static int32_t test_order(const int32_t *a) {
  (void)a;
  static const int expect[5][2] = {{1, 1}, {2, 1}, {1, 2}, {2, 2}, {1, 3}};
  struct Order o = {0, {{0}}};
  QcoCtx *co = qco_create(co_order_test, &o);
  record(&o, 1, 1);
  qco_enter(co);
  record(&o, 1, 2);
  CHECK(!qco_in_coroutine());
  qco_enter(co);
  record(&o, 1, 3);
  CHECK(o.n == 5);
  for (int i = 0; i < 5; i++) CHECK(o.rec[i][0] == expect[i][0] && o.rec[i][1] == expect[i][1]);
  return 0;
}

/* ---- yield from depth, across many live coroutines ---- */

static int deep_then_yield(int depth, int yields) {
  volatile int mine[3] = {depth, depth * 5, ~depth};
  int r;
  if (depth == 0) {
    for (int i = 0; i < yields; i++) qco_yield();
    r = 0;
  } else {
    r = deep_then_yield(depth - 1, yields);
  }
  if (mine[0] != depth || mine[1] != depth * 5 || mine[2] != ~depth) return -100000;
  return r + depth;
}

struct Deep { int depth, yields, result; };

static void deep_body(void *opaque) {
  struct Deep *d = opaque;
  d->result = deep_then_yield(d->depth, d->yields);
}

/* test_yield_from_depth(depth): a C coroutine yields 3 times from `depth` nested calls; every frame survives. */
static int32_t test_yield_from_depth(const int32_t *a) {
  struct Deep d = {a[0], 3, -1};
  QcoCtx *co = qco_create(deep_body, &d);
  CHECK(co != 0);
  for (int i = 0; i < 3; i++) {
    CHECK(qco_enter(co) == QCO_OK);
    CHECK(d.result == -1);
  }
  CHECK(qco_enter(co) == QCO_OK);
  CHECK(d.result == d.depth * (d.depth + 1) / 2);
  return 0;
}

struct Live { int id, sum; };

static void live_body(void *opaque) {
  struct Live *l = opaque;
  volatile int mine = l->id * 7 + 1;
  for (int k = 0; k < 3; k++) {
    qco_yield();
    l->sum += mine;
  }
}

#define MAX_LIVE 20000
static struct Live live[MAX_LIVE];
static QcoCtx *live_co[MAX_LIVE];

/* test_many_live(n): n C coroutines alive at once, each with a local that must survive three rounds. */
static int32_t test_many_live(const int32_t *a) {
  int n = a[0];
  CHECK(n > 0 && n <= MAX_LIVE);
  int before = qco_live();
  for (int i = 0; i < n; i++) {
    live[i].id = i;
    live[i].sum = 0;
    live_co[i] = qco_create(live_body, &live[i]);
    CHECK(live_co[i] != 0);
  }
  CHECK(qco_live() == before + n);
  for (int round = 0; round < 4; round++) {
    for (int i = 0; i < n; i++) CHECK(qco_enter(live_co[i]) == QCO_OK);
  }
  for (int i = 0; i < n; i++) CHECK(live[i].sum == 3 * (i * 7 + 1));
  CHECK(qco_live() == before);
  return 0;
}

/* ---- QEMU's abort conditions, as error codes ---- */

static void enter_self(void *opaque) { *(int *)opaque = qco_enter(qco_self()); }

static int32_t test_errors(const int32_t *a) {
  (void)a;
  int got = 0;
  CHECK(qco_yield() == -1); /* yielding to no one */
  CHECK(qco_enter(qco_create(enter_self, &got)) == QCO_OK);
  CHECK(got == QCO_EREENTERED);
  QcoCtx *done = qco_create(yield_once, 0);
  qco_enter(done);
  qco_enter(done);
  CHECK(qco_enter(done) == QCO_ETERMINATED);
  return 0;
}

void qco_register_suite(void) {
  qco_register("test_no_dangling_access", test_no_dangling_access);
  qco_register("test_lifecycle", test_lifecycle);
  qco_register("test_yield", test_yield);
  qco_register("test_nesting", test_nesting);
  qco_register("test_self", test_self);
  qco_register("test_entered", test_entered);
  qco_register("test_in_coroutine", test_in_coroutine);
  qco_register("test_order", test_order);
  qco_register("test_yield_from_depth", test_yield_from_depth);
  qco_register("test_many_live", test_many_live);
  qco_register("test_errors", test_errors);
}
