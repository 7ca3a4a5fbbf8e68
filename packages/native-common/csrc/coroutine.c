/*
 * Native contexts and their switches, shared by both stackful backends. A switch
 * is sigsetjmp(…, 0) / siglongjmp (no signal-mask syscall); the backend's start
 * method only gets a fresh stack running qco_bootstrap once. Each context runs a
 * trampoline loop for its whole life, so a context whose body ended is ready for
 * the next body at no cost: that is what the pool hands out. JavaScript never
 * runs on these stacks: a JS context's trampoline switches back to its enterer
 * (on Node's stack) to have each step run there, and is switched in again with
 * the step's outcome.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "qco-internal.h"

#if defined(__SANITIZE_ADDRESS__)
#define QCO_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define QCO_ASAN 1
#endif
#endif
#ifdef QCO_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

/* Everything is per thread: a worker thread has its own leader and contexts. The
 * pointers read on every switch use the initial-exec TLS model: in a dlopen'd
 * addon the default model costs a __tls_get_addr call per access. */
#define QCO_HOT_TLS __thread __attribute__((tls_model("initial-exec")))
static QCO_HOT_TLS QcoCoroutine *current;
static QCO_HOT_TLS QcoCoroutine *leader_ptr;
/* The leader's context lives on the heap, not in TLS: the initial-exec accesses put this
 * module's whole TLS block in the static TLS surplus, which is too small for two addons
 * (native-ucontext and sigaltstack in one process) each holding a context there. */
static pthread_key_t leader_key;
static pthread_once_t leader_key_once = PTHREAD_ONCE_INIT;
static QCO_HOT_TLS QcoCoroutine **table;
static QCO_HOT_TLS int table_len;
static __thread int table_cap;
static __thread QcoCoroutine **pool;
static __thread int pool_len, pool_cap;
static __thread int live;
#ifdef QCO_ASAN
static __thread QcoCoroutine *switch_prev; /* for the sanitizer's view of the leader stack */
#define SET_PREV(co) (switch_prev = (co))
#else
#define SET_PREV(co) ((void)0)
#endif

#define POOL_MAX 1024

static void leader_free(void *co) { free(co); }
static void leader_key_create(void) { (void)pthread_key_create(&leader_key, leader_free); }

QcoCoroutine *qco_leader(void) {
  if (leader_ptr == NULL) {
    QcoCoroutine *co = calloc(1, sizeof *co);
    if (co == NULL) {
      fputs("qco: cannot allocate the thread's leader context\n", stderr);
      abort();
    }
    co->id = -1;
    /* freed when the thread exits (a worker thread's leader goes with it) */
    (void)pthread_once(&leader_key_once, leader_key_create);
    (void)pthread_setspecific(leader_key, co);
    leader_ptr = co;
  }
  return leader_ptr;
}

QcoCoroutine *qco_self(void) { return current != NULL ? current : qco_leader(); }

int qco_in_coroutine(void) { return current != NULL && current != leader_ptr; }

int qco_entered(QcoCoroutine *co) { return co->caller != NULL; }

QcoCoroutine *qco_context_get(int id) {
  if (id < 0 || id >= table_len) return NULL;
  QcoCoroutine *co = table[id];
  return co != NULL && co->busy ? co : NULL;
}

void qco_context_stats(int *out_live, int *out_pooled) {
  *out_live = live;
  *out_pooled = pool_len;
}

/* --- AddressSanitizer: tell it which stack we are on (QEMU does the same) ------- */

void qco_asan_start(QcoCoroutine *to, void **fake) {
#ifdef QCO_ASAN
  __sanitizer_start_switch_fiber(fake, to->asan_bottom, to->asan_size);
#else
  (void)to;
  (void)fake;
#endif
}

void qco_asan_finish(void *fake) {
#ifdef QCO_ASAN
  const void *bottom;
  size_t size;
  __sanitizer_finish_switch_fiber(fake, &bottom, &size);
  if (switch_prev != NULL && switch_prev == leader_ptr) {
    leader_ptr->asan_bottom = bottom;
    leader_ptr->asan_size = size;
  }
#else
  (void)fake;
#endif
}

/* qemu_coroutine_switch: save where `from` resumes, jump into `to`, and give
 * the action control came back with. A macro, not a function, on the hot paths:
 * GCC never inlines a function that calls sigsetjmp, and every extra return
 * after a stack switch is a mispredicted return. */
#ifdef QCO_ASAN
#define QCO_ASAN_BEFORE_JUMP(from, to, action) \
  do { \
    /* A body that terminates keeps no fake frames: ASan frees them, and the \
     * context starts its next body without any. */ \
    if ((action) == QCO_TERMINATE) (from)->asan_fake_stack = NULL; \
    qco_asan_start((to), (action) == QCO_TERMINATE ? NULL : &(from)->asan_fake_stack); \
  } while (0)
#define QCO_ASAN_AFTER_LANDING(from) qco_asan_finish((from)->asan_fake_stack)
#else
#define QCO_ASAN_BEFORE_JUMP(from, to, action) ((void)0)
#define QCO_ASAN_AFTER_LANDING(from) ((void)0)
#endif

/* The jump itself: siglongjmp, entered with a jmp rather than a call on x86-64.
 * It never returns, and a call would leave a return address on the CPU's
 * return-stack predictor that no ret ever pops: every later return on the way
 * back to JavaScript would then be mispredicted. The 8-byte adjustment gives
 * siglongjmp the stack alignment a call would have. */
#if defined(__x86_64__) && !defined(QCO_ASAN)
#define QCO_JUMP(env, val) \
  do { \
    __asm__ volatile("sub $8, %%rsp\n\tjmp siglongjmp@PLT" : : "D"(env), "S"(val) : "memory"); \
    __builtin_unreachable(); \
  } while (0)
/* glibc's siglongjmp reaches __longjmp with a call that never returns, so each
 * landing finds one stale entry on the return-stack predictor; popping it with
 * one ret of our own (one mispredict) keeps the returns that follow, up through
 * Node-API and V8 back to JavaScript, predicted. Below the red zone, to be safe. */
#define QCO_RAS_REALIGN() \
  __asm__ volatile("add $-128, %%rsp\n\tlea 1f(%%rip), %%rax\n\tpush %%rax\n\tret\n1:\n\tsub $-128, %%rsp" : : : "rax", "memory")
#else
#define QCO_JUMP(env, val) siglongjmp((env), (val))
#define QCO_RAS_REALIGN() ((void)0)
#endif

#define QCO_SWITCH_(ret, from, to, action, realign) \
  do { \
    current = (to); \
    SET_PREV(from); \
    (ret) = sigsetjmp((from)->env, 0); \
    if ((ret) == 0) { \
      QCO_ASAN_BEFORE_JUMP(from, to, action); \
      QCO_JUMP((to)->env, (action)); \
    } \
    realign; \
    QCO_ASAN_AFTER_LANDING(from); \
  } while (0)

/* A switch whose landing returns straight up to C callers (the C API). */
#define QCO_SWITCH(ret, from, to, action) QCO_SWITCH_(ret, from, to, action, (void)0)
/* The switches of the JavaScript-step hand-off, on both sides: the leader's
 * landing returns up through Node-API and V8 frames, and the predictor only
 * keeps their entries if no landing on either side leaves a stale one behind.
 * (A C loop of enter+yield is faster without: its returns are one level deep.) */
#define QCO_SWITCH_REALIGNED(ret, from, to, action) QCO_SWITCH_(ret, from, to, action, QCO_RAS_REALIGN())

int qco_switch(QcoCoroutine *from, QcoCoroutine *to, int action) {
  int ret;
  QCO_SWITCH(ret, from, to, action);
  return ret;
}

/* --- the trampoline ------------------------------------------------------------ */

static void run_js_body(QcoCoroutine *co) {
  for (;;) {
    int outcome;
    co->awaiting_step = 1;
    QCO_SWITCH_REALIGNED(outcome, co, co->caller, QCO_RUN_STEP);
    co->awaiting_step = 0;
    if (outcome != QCO_YIELD) return; /* terminated or threw: the body is over */
    QcoCoroutine *to = co->caller;
    co->caller = NULL;
    {
      int ignored_;
      QCO_SWITCH_REALIGNED(ignored_, co, to, QCO_YIELD);
      (void)ignored_;
    } /* wait for the next enter */
  }
}

static void release_children(QcoCoroutine *root);

void qco_bootstrap(QcoCoroutine *co) {
#ifdef QCO_ASAN
  const void *creator_bottom;
  size_t creator_size;
  __sanitizer_finish_switch_fiber(NULL, &creator_bottom, &creator_size);
  if (switch_prev != NULL && switch_prev == leader_ptr) {
    leader_ptr->asan_bottom = creator_bottom;
    leader_ptr->asan_size = creator_size;
  }
#endif
  /* First arrival: record where later switches land, go back to the creator. */
  if (sigsetjmp(co->env, 0) == 0) {
    SET_PREV(co);
#ifdef QCO_ASAN
    __sanitizer_start_switch_fiber(&co->asan_fake_stack, creator_bottom, creator_size);
#endif
    siglongjmp(*co->boot_return, 1);
  }
#ifdef QCO_ASAN
  qco_asan_finish(co->asan_fake_stack);
#endif
  for (;;) {
    co->mid_body = 1;
    switch (co->kind) {
      case QCO_BODY_JS:
        run_js_body(co);
        break;
      case QCO_BODY_ROUTINE:
        co->result = co->routine->fn(co->args, co->nargs);
        co->request = QCO_REQ_DONE;
        release_children(co); /* as on asyncify: the call's C coroutines end with it */
        break;
      default:
        co->entry(co->opaque);
        break;
    }
    QcoCoroutine *to = co->caller;
    co->caller = NULL;
    co->mid_body = 0;
    {
      int ignored_;
      QCO_SWITCH(ignored_, co, to, QCO_TERMINATE);
      (void)ignored_;
    }
  }
}

/* --- the context table and pool ------------------------------------------------- */

static int table_add(QcoCoroutine *co) {
  if (table_len == table_cap) {
    int cap = table_cap ? table_cap * 2 : 256;
    QcoCoroutine **t = realloc(table, (size_t)cap * sizeof *t);
    if (t == NULL) return -1;
    table = t;
    table_cap = cap;
  }
  co->id = table_len;
  table[table_len++] = co;
  return 0;
}

static int start(QcoCoroutine *co) {
  sigjmp_buf back;
  co->boot_return = &back;
  SET_PREV(qco_self());
  if (qco_start_context(co) != 0) return -1;
  co->started = 1;
  return 0;
}

QcoCoroutine *qco_context_new(int kind) {
  QcoCoroutine *co;
  if (current == NULL) current = qco_leader();
  if (pool_len > 0) {
    co = pool[--pool_len];
  } else {
    co = calloc(1, sizeof *co);
    if (co == NULL) return NULL;
    if (qco_stack_alloc(co, qco_stack_size_get()) != 0) {
      free(co);
      return NULL;
    }
    if (start(co) != 0 || table_add(co) != 0) {
      qco_stack_free(co);
      free(co);
      return NULL;
    }
  }
  co->kind = kind;
  co->busy = 1;
  co->caller = NULL;
  co->root = kind == QCO_BODY_ROUTINE ? co : NULL;
  co->leaf = NULL;
  co->children = NULL;
  co->request = QCO_REQ_DONE;
  co->input = 0;
  live++;
  return co;
}

/* A C coroutine leaves its call's list of children. */
static void unlink_child(QcoCoroutine *co) {
  QcoCoroutine *root = co->root;
  if (root == NULL || root == co) return;
  if (co->sib_prev != NULL) co->sib_prev->sib_next = co->sib_next;
  else if (root->children == co) root->children = co->sib_next;
  if (co->sib_next != NULL) co->sib_next->sib_prev = co->sib_prev;
  co->sib_prev = co->sib_next = NULL;
  co->root = NULL;
}

/* Back to the pool; the trampoline sits at the top of its loop, ready. */
void qco_context_release(QcoCoroutine *co) {
  if (!co->busy) return;
  unlink_child(co);
  co->busy = 0;
  co->caller = NULL;
  live--;
  if (pool_len == pool_cap && pool_cap < POOL_MAX) {
    int cap = pool_cap ? pool_cap * 2 : 64;
    QcoCoroutine **p = realloc(pool, (size_t)cap * sizeof *p);
    if (p != NULL) {
      pool = p;
      pool_cap = cap;
    }
  }
  if (pool_len < pool_cap) {
    pool[pool_len++] = co;
    return;
  }
  table[co->id] = NULL;
  qco_stack_free(co);
  free(co);
}

void qco_pool_trim(int keep) {
  while (pool_len > keep) {
    QcoCoroutine *co = pool[--pool_len];
    table[co->id] = NULL;
    qco_stack_free(co);
    free(co);
  }
}

/* A context abandoned mid-body: its frames are dropped by starting afresh. */
static void restart(QcoCoroutine *co) {
  if (co->kind == QCO_BODY_ROUTINE) release_children(co);
  unlink_child(co);
  co->caller = NULL;
  co->leaf = NULL;
  co->mid_body = 0;
  co->awaiting_step = 0;
  if (start(co) != 0) {
    co->busy = 0;
    live--;
    table[co->id] = NULL;
    qco_stack_free(co);
    free(co);
    return;
  }
  qco_context_release(co);
}

/* The C coroutines a call created and that have not ended: each suspended one is dropped (its frames
 * with its stack's contents), the others go back to the pool. */
static void release_children(QcoCoroutine *root) {
  while (root->children != NULL) {
    QcoCoroutine *c = root->children;
    unlink_child(c);
    if (c->mid_body) restart(c);
    else qco_context_release(c);
  }
}

/* --- the C API -------------------------------------------------------------------- */

QcoCoroutine *qco_create(QcoEntry *entry, void *opaque) {
  QcoCoroutine *co = qco_context_new(QCO_BODY_C);
  if (co == NULL) return NULL;
  co->entry = entry;
  co->opaque = opaque;
  co->root = current != NULL ? current->root : NULL; /* the call it was created in, if any */
  co->sib_prev = NULL;
  co->sib_next = NULL;
  if (co->root != NULL) {
    co->sib_next = co->root->children;
    if (co->sib_next != NULL) co->sib_next->sib_prev = co;
    co->root->children = co;
  }
  return co;
}

int qco_enter(QcoCoroutine *co) {
  if (co == NULL || !co->busy || co->caller != NULL || co == qco_self()) return -1;
  QcoCoroutine *self = qco_self();
  co->caller = self;
  int ret;
  QCO_SWITCH(ret, self, co, QCO_ENTER);
  if (ret == QCO_TERMINATE && co->kind == QCO_BODY_C) qco_context_release(co);
  return 0;
}

static double yield_with(int request, double a, double b) {
  QcoCoroutine *self = qco_self();
  QcoCoroutine *root = self->root;
  if (request != QCO_REQ_YIELD) {
    if (root == NULL) return -1; /* outside a call from JavaScript nobody serves a wait */
    if (root != self) {
      /* A wait inside a C coroutine of the call: the whole call is suspended, and resuming it resumes this one. */
      QcoCoroutine *js = root->caller;
      if (js == NULL) return -1;
      root->caller = NULL;
      root->request = request;
      root->req_a = a;
      root->req_b = b;
      root->input = 0;
      root->leaf = self;
      int r;
      QCO_SWITCH(r, self, js, QCO_YIELD);
      (void)r;
      root->leaf = NULL;
      return root->input;
    }
  }
  QcoCoroutine *to = self->caller;
  if (to == NULL) return -1;
  self->caller = NULL;
  self->request = request;
  self->req_a = a;
  self->req_b = b;
  self->input = 0;
  int ret;
  QCO_SWITCH(ret, self, to, QCO_YIELD);
  (void)ret;
  return self->input;
}

double qco_yield(void) { return yield_with(QCO_REQ_YIELD, 0, 0); }
double qco_wait_fd(int fd, int events) { return yield_with(QCO_REQ_FD, fd, events); }
double qco_sleep_ns(int64_t ns) { return yield_with(QCO_REQ_SLEEP, (double)ns, 0); }
void qco_mutex_lock(int mutex) { yield_with(QCO_REQ_LOCK, mutex, 0); }
void qco_mutex_unlock(int mutex) { yield_with(QCO_REQ_UNLOCK, mutex, 0); }

/* --- JavaScript bodies -------------------------------------------------------------- */

int qco_js_enter(QcoCoroutine *co) {
  QcoCoroutine *self = qco_self();
  co->caller = self;
  int ret;
  QCO_SWITCH_REALIGNED(ret, self, co, QCO_ENTER);
  return ret;
}

int qco_js_resume(QcoCoroutine *co) {
  QcoCoroutine *self = qco_self();
  int ret;
  co->caller = self;
  QCO_SWITCH_REALIGNED(ret, self, co, QCO_YIELD); /* the last step yielded: it yields */
  co->caller = self;
  QCO_SWITCH_REALIGNED(ret, self, co, QCO_ENTER); /* and is entered for the next one */
  return ret;
}

int qco_js_complete(QcoCoroutine *co, int outcome) {
  QcoCoroutine *self = qco_self();
  co->caller = self;
  int ret;
  QCO_SWITCH_REALIGNED(ret, self, co, outcome);
  return ret;
}

/* --- routines run from JavaScript --------------------------------------------------- */

QcoCoroutine *qco_routine_start(const QcoRoutine *r, const QcoArg *args, int nargs) {
  QcoCoroutine *co = qco_context_new(QCO_BODY_ROUTINE);
  if (co == NULL) return NULL;
  co->routine = r;
  if (nargs > QCO_MAX_ARGS) nargs = QCO_MAX_ARGS;
  memset(co->args, 0, sizeof co->args);
  memcpy(co->args, args, (size_t)nargs * sizeof *args);
  co->nargs = nargs;
  co->result = 0;
  return co;
}

int qco_routine_resume(QcoCoroutine *co, double input) {
  if (co->caller != NULL) return -1;
  co->input = input;
  QcoCoroutine *self = qco_self();
  co->caller = self;
  int ret;
  QcoCoroutine *to = co->leaf != NULL ? co->leaf : co;
  QCO_SWITCH(ret, self, to, QCO_ENTER);
  if (ret == QCO_TERMINATE) return QCO_REQ_DONE;
  return co->request;
}

void qco_routine_cancel(QcoCoroutine *co) {
  if (co->caller != NULL) return; /* running: cannot be dropped from under itself */
  if (co->mid_body) restart(co);
  else qco_context_release(co);
}
