/*
 * The native context shared by both stackful backends: a stack of its own with a
 * guard page, a sigjmp_buf to resume it, and the hand-off fields through which
 * its trampoline talks to whoever entered it. Only qco_start_context differs
 * between the backends (start-ucontext.c, start-sigaltstack.c).
 */
#ifndef QCO_INTERNAL_H
#define QCO_INTERNAL_H

#include <setjmp.h>
#ifndef QCO_RUNTIME
#define QCO_RUNTIME 1
#endif
#include "qco.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Actions passed through a switch (QEMU's CoroutineAction, plus the JS hand-off). */
enum {
  QCO_YIELD = 1,
  QCO_TERMINATE = 2,
  QCO_ENTER = 3,
  QCO_RUN_STEP = 4, /* the trampoline asks its enterer to run one JavaScript step */
  QCO_STEP_THREW = 5 /* the step threw: the body is over */
};

/* What a context runs now. */
enum { QCO_BODY_C = 0, QCO_BODY_JS = 1, QCO_BODY_ROUTINE = 2 };

/* Why a routine yielded: the NativeRequest kinds. */
enum { QCO_REQ_DONE = 0, QCO_REQ_YIELD = 1, QCO_REQ_FD = 2, QCO_REQ_SLEEP = 3, QCO_REQ_LOCK = 4, QCO_REQ_UNLOCK = 5 };

/* A registered C function JavaScript may run on a native context (functions.c). */
typedef struct QcoRoutine {
  const char *name;
  QcoFunction *fn;
} QcoRoutine;

struct QcoCoroutine {
  sigjmp_buf env;          /* where this context resumes */
  QcoCoroutine *caller;    /* who entered it; NULL when not entered */
  int id;                  /* index in the context table, as seen by JavaScript */
  int kind;                /* QCO_BODY_* */
  int started;             /* the trampoline runs on the stack */
  int busy;                /* in use (not in the pool) */
  int awaiting_step;       /* a JS context waiting for its enterer to run a step */
  int mid_body;            /* a body has started and not ended (frames on the stack) */
  /* stack: [guard page][stack_lo .. stack_lo + stack_size) */
  char *map;
  size_t map_size;
  char *stack_lo;
  size_t stack_size;
  /* C body */
  QcoEntry *entry;
  void *opaque;
  /* the function run from JavaScript this context belongs to (itself for that function's context) */
  QcoCoroutine *root;
  /* on a routine: the C coroutine of the call suspended in a wait, resumed instead of the routine */
  QcoCoroutine *leaf;
  /* on a routine: the C coroutines the call created and that have not ended, freed when it ends */
  QcoCoroutine *children, *sib_prev, *sib_next;
  /* routine body */
  const QcoRoutine *routine;
  QcoArg args[QCO_MAX_ARGS];
  int nargs;
  double result;
  /* request of the last yield, and the value the next resume delivers */
  int request;
  double req_a, req_b;
  double input;
  /* start-method scratch */
  sigjmp_buf *boot_return;
  sigjmp_buf boot_env;
  /* AddressSanitizer fiber bookkeeping */
  void *asan_fake_stack;
  const void *asan_bottom;
  size_t asan_size;
};

/* Provided by the backend: make `co` run qco_bootstrap(co) on its fresh stack,
 * which saves co->env and jumps back to *co->boot_return. 0 on success. */
int qco_start_context(QcoCoroutine *co);
/* Name of the start method ("ucontext", "sigaltstack"). */
extern const char qco_start_method[];

/* Called by the start method on the fresh stack; never returns. */
void qco_bootstrap(QcoCoroutine *co) __attribute__((noreturn));

/* AddressSanitizer fiber annotations around the start method's own jumps. */
void qco_asan_start(QcoCoroutine *to, void **fake);
void qco_asan_finish(void *fake);

/* Stacks (stack.c). */
int qco_stack_alloc(QcoCoroutine *co, size_t size);
void qco_stack_free(QcoCoroutine *co);
size_t qco_stack_size_get(void);
void qco_stack_size_set(size_t size);
int qco_overflow_check_enable(void);

/* The context table and switches (coroutine.c). */
QcoCoroutine *qco_context_new(int kind);
void qco_context_release(QcoCoroutine *co);
QcoCoroutine *qco_context_get(int id);
QcoCoroutine *qco_leader(void);
int qco_switch(QcoCoroutine *from, QcoCoroutine *to, int action);
/* JS hand-off: enter a JS context (returns QCO_RUN_STEP), then deliver the step's outcome. */
int qco_js_enter(QcoCoroutine *co);
int qco_js_complete(QcoCoroutine *co, int outcome);
/* Deliver a Yield outcome left pending by the last step, then enter for the next step (returns QCO_RUN_STEP). */
int qco_js_resume(QcoCoroutine *co);
/* Routines: start, resume (returns QCO_REQ_*), cancel. */
QcoCoroutine *qco_routine_start(const QcoRoutine *r, const QcoArg *args, int nargs);
int qco_routine_resume(QcoCoroutine *co, double input);
void qco_routine_cancel(QcoCoroutine *co);
void qco_context_stats(int *live, int *pooled);
void qco_pool_trim(int keep);

/* The registry of functions runnable from JavaScript, and the API table (functions.c). */
int qco_function_count(void);
const QcoRoutine *qco_function_at(int index);
extern const QcoApi qco_api_table;

/* Test builds only (QCO_TEST_BUILD): the demo functions (routines.c) and perf loops (native-perf.c); the C suite is
 * @qco/conformance's (qco-suite.h). */
void qco_register_test_functions(void);
/* Perf loops: run `iterations` of `name`, return elapsed nanoseconds (or -1 for an unknown name). */
double qco_perf(const char *name, double iterations);
int qco_poll_fd(int fd, int events);

#ifdef __cplusplus
}
#endif
#endif
