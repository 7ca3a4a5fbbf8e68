/*
 * QEMU's perf loops (test-coroutine.c's perf_* cases), timed in C on the native
 * contexts; test builds only. They reach below the public API (a fresh stack
 * each time, dropping a body that never ends), so they are the native
 * runtime's own, unlike the conformance suite.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "qco-internal.h"

static void yield_once(void *opaque) {
  (void)opaque;
  qco_yield();
}

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
