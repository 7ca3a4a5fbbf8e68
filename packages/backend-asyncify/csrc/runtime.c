/*
 * Contexts for qco's asyncify backend. A context is one block of wasm linear
 * memory: a header, an asyncify data region (where its unwound call stack is
 * kept) and a shadow stack for C (LLVM's __stack_pointer), bounded so that an
 * overflow of either is caught before it reaches the next block. The stack is
 * bounded by Binaryen's stack-check pass. Asyncify itself does not bound its
 * writes while unwinding, so it unwinds into a window ending exactly at the end of
 * linear memory, as large as the context's data region: one byte too many is an
 * out-of-bounds trap, never a write into another context; the bytes are then
 * copied home. A rewind only reads, so it reads them at home. The only way
 * out of a running context is qco_switch, which starts an asyncify unwind back to
 * qco_run (the loop JavaScript calls); qco_run then rewinds whichever context
 * the switch named, or returns to JavaScript. qco_run calls each body itself and
 * is not instrumented, so only the frames of the running context's own C are ever
 * unwound: a switch costs the depth of the two contexts involved, nothing more.
 * JavaScript bodies are stepped by an import called from qco_run, so no
 * JavaScript frame is ever below an unwinding wasm frame.
 *
 * The C API is the public qco.h, the same as on the native backends. Linked
 * with wasi-libc (a consumer's module), libc's malloc takes its memory through
 * this file's sbrk, so the heap never reaches the unwind window either.
 */
#include "asyncify-internal.h"
#ifdef __wasi__
#include <errno.h>
#include <stdlib.h>
#endif

/* Actions through a switch (QEMU's CoroutineAction); Threw: the JS step threw. */
enum { QCO_THREW = 0, QCO_YIELD = 1, QCO_TERMINATE = 2, QCO_ENTER = 3 };
/* Why qco_enter refuses (QEMU aborts instead). */
enum { QCO_EREENTERED = -1, QCO_ETERMINATED = -2 };

/* Binaryen asyncify's own entry points, callable from inside the module. */
__attribute__((import_module("asyncify"), import_name("start_unwind"))) void asyncify_start_unwind(void *data);
__attribute__((import_module("asyncify"), import_name("stop_unwind"))) void asyncify_stop_unwind(void);
__attribute__((import_module("asyncify"), import_name("start_rewind"))) void asyncify_start_rewind(void *data);
__attribute__((import_module("asyncify"), import_name("stop_rewind"))) void asyncify_stop_rewind(void);

/* Runs one step of the JavaScript body of context `id`; returns a QCO_* action (QCO_THREW if it threw). */
__attribute__((import_module("qco"), import_name("step"))) int32_t qco_js_step(int32_t id);
/* Replaced at build time by a body that sets the limits Binaryen's stack-check pass enforces. */
__attribute__((import_module("qco_internal"), import_name("set_stack_limits"))) void qco_set_stack_limits(uint32_t base, uint32_t limit);

/* The main stack (wasm-ld --stack-first) is [16, QCO_MAIN_STACK_SIZE); the build passes the size. */
#ifndef QCO_MAIN_STACK_SIZE
#error "build with -DQCO_MAIN_STACK_SIZE=<the -z stack-size given to wasm-ld>"
#endif

/* stack-pointer.s */
uint32_t qco_get_sp(void);
void qco_set_sp(uint32_t sp);

/* KIND_CASE: a conformance case, run in the leader's place. */
enum { KIND_JS = 0, KIND_NATIVE_ROOT = 1, KIND_C = 2, KIND_CASE = 3 };
enum { ST_FREE = 0, ST_FRESH = 1, ST_SUSPENDED = 2, ST_RUNNING = 3, ST_DONE = 4 };
enum { REQ_NONE = 0, REQ_YIELD = 1, REQ_FD = 2, REQ_SLEEP = 3, REQ_LOCK = 4, REQ_UNLOCK = 5 };

/* The header JavaScript reads too: keep offsets in step with src/internal/layout.ts. */
struct QcoCoroutine {
  uint32_t data_used; /* 0: bytes of unwound call stack kept in the data region */
  uint32_t data_end;  /* 4: end of the data region (it starts right after the header) */
  uint32_t sp;        /* 8: shadow stack pointer while switched out */
  uint32_t stack_lo;  /* 12: lowest valid stack address (end of the data region) */
  uint32_t stack_hi;  /* 16: initial stack pointer (end of the block) */
  int32_t state;      /* 20 */
  int32_t rewinding;  /* 24 */
  int32_t incoming;   /* 28: delivered by the switch that resumes it */
  int32_t outgoing;   /* 32: passed by the switch that left it */
  QcoCoroutine *target;     /* 36: where the pending unwind goes (NULL: back to JavaScript) */
  QcoCoroutine *caller;     /* 40: C coroutines: who entered it */
  int32_t kind;       /* 44 */
  int32_t id;         /* 48: JavaScript entry id */
  QcoFunction *fn;   /* 52 */
  QcoCoroutine *root; /* 56: native call this context belongs to */
  QcoCoroutine *leaf; /* 60: on a root: the context suspended in a request */
  int32_t nargs;      /* 64 */
  int32_t req_kind;   /* 68 */
  int32_t req_a;      /* 72 */
  int32_t req_b;      /* 76 */
  double req_ns;      /* 80 */
  double ret;         /* 88 */
  uint32_t size;      /* 96: whole block */
  QcoCoroutine *next_free; /* 100 */
  QcoEntry *entry;    /* 104 */
  void *opaque;       /* 108 */
  QcoCoroutine *sib_prev; /* 112: C coroutines of one native call, listed on its root */
  QcoCoroutine *sib_next; /* 116 */
  QcoCoroutine *children; /* 120: on a root: its C coroutines */
  const char *(*case_fn)(void); /* 124: KIND_CASE */
  QcoArg args[QCO_MAX_ARGS];    /* 128: 16 bytes each (number, bytes, length) */
  const char *case_result;      /* 256 */
};
#define HEADER 272u
_Static_assert(sizeof(QcoCoroutine) <= HEADER, "header grew");
_Static_assert(__builtin_offsetof(QcoCoroutine, req_ns) == 80, "layout");
_Static_assert(__builtin_offsetof(QcoCoroutine, ret) == 88, "layout");
_Static_assert(__builtin_offsetof(QcoCoroutine, args) == 128, "layout");
_Static_assert(sizeof(QcoArg) == 16, "layout");

/* ---- blocks of linear memory ------------------------------------------- */

extern unsigned char __heap_base;
/* The unwind window at the end of memory must never hold a block: keep room for the largest data region. */
static uint32_t window_reserve = 65536;
static uint32_t heap_top;
struct SizeClass { uint32_t size; QcoCoroutine *head; };
static struct SizeClass classes[16];
static int32_t live_c;

static inline uint32_t memory_end(void) { return (uint32_t)__builtin_wasm_memory_size(0) * 65536u; }

static int grow_to(uint32_t end) {
  uint32_t have = memory_end();
  if (end <= have) return 1;
  uint32_t pages = (end - have + 65535u) / 65536u;
  return __builtin_wasm_memory_grow(0, pages) != (__SIZE_TYPE__)-1;
}

static void heap_init(void) {
  if (heap_top) return;
#ifdef __wasi__
  /* libc's malloc takes the initial memory above __heap_base when first called: let it, and start above. */
  free(malloc(1));
  if (heap_top) return; /* its sbrk already started the heap */
  heap_top = (memory_end() + 15u) & ~15u;
#else
  heap_top = ((uint32_t)&__heap_base + 15u) & ~15u;
#endif
}

/* `size` bytes (16-aligned) from the top of the heap, keeping the unwind window's room above; NULL when memory cannot grow. */
static void *heap_take(uint32_t size) {
  heap_init();
  size = (size + 15u) & ~15u;
  uint32_t at = heap_top;
  uint32_t top = at + size + window_reserve;
  if (top < at || !grow_to(top)) return 0;
  heap_top = at + size;
  return (void *)at;
}

#ifdef __wasi__
/* libc's malloc grows through here, so it shares the heap with the blocks and stays below the window. */
void *sbrk(intptr_t increment) {
  if (!heap_top) heap_top = (memory_end() + 15u) & ~15u;
  if (increment < 0) {
    errno = ENOMEM;
    return (void *)-1;
  }
  void *p = heap_take((uint32_t)increment);
  if (!p) {
    errno = ENOMEM;
    return (void *)-1;
  }
  return p;
}
#endif

static QcoCoroutine *block_alloc(uint32_t size) {
  struct SizeClass *sc = 0;
  for (int i = 0; i < 16; i++) {
    if (classes[i].size == size) { sc = &classes[i]; break; }
    if (classes[i].size == 0) { classes[i].size = size; sc = &classes[i]; break; }
  }
  if (sc && sc->head) {
    QcoCoroutine *c = sc->head;
    sc->head = c->next_free;
    return c;
  }
  return (QcoCoroutine *)heap_take(size);
}

static void block_free(QcoCoroutine *c) {
  c->state = ST_FREE;
  for (int i = 0; i < 16; i++) {
    if (classes[i].size == c->size) {
      c->next_free = classes[i].head;
      classes[i].head = c;
      return;
    }
  }
  /* More than 16 block sizes in use: this one was never classed and is not reused. */
}

/*
 * Asyncify saves whole i32/i64/f32/f64 locals, so the unwound bytes are whole
 * words. A word loop beats memory.copy at these sizes (tens of bytes): V8 runs
 * memory.copy out of line.
 */
static inline void copy_words(uint32_t *dst, const uint32_t *src, uint32_t bytes) {
  for (uint32_t i = 0, n = bytes >> 2; i < n; i++) dst[i] = src[i];
}

/* After an unwind, the bytes go home from the window (inlined into qco_run, once per switch). */
static inline void window_save(QcoCoroutine *c, uint32_t window_cur) {
  uint32_t start = memory_end() - (c->data_end - ((uint32_t)c + HEADER));
  c->data_used = window_cur - start;
  copy_words((uint32_t *)((uint8_t *)c + HEADER), (const uint32_t *)start, c->data_used);
}

static QcoCoroutine *ctx_new(int32_t kind, uint32_t data_size, uint32_t stack_size) {
  data_size = (data_size + 15u) & ~15u;
  stack_size = (stack_size + 15u) & ~15u;
  uint32_t size = HEADER + data_size + stack_size;
  if (data_size > (1u << 24) || stack_size > (1u << 26)) return 0;
  if (data_size > window_reserve) window_reserve = data_size;
  heap_init();
  if (!grow_to(heap_top + window_reserve)) return 0;
  QcoCoroutine *c = block_alloc(size);
  if (!c) return 0;
  uint8_t *base = (uint8_t *)c;
  for (uint32_t i = 0; i < HEADER; i++) base[i] = 0;
  c->size = size;
  c->kind = kind;
  c->state = ST_FRESH;
  c->data_used = 0;
  c->data_end = (uint32_t)(base + HEADER + data_size);
  c->stack_lo = c->data_end;
  c->stack_hi = (uint32_t)(base + size);
  c->sp = c->stack_hi;
  return c;
}

/* A C coroutine leaves its native call's list and memory. */
static void c_free(QcoCoroutine *c) {
  QcoCoroutine *root = c->root;
  if (c->sib_prev) c->sib_prev->sib_next = c->sib_next;
  else if (root && root->children == c) root->children = c->sib_next;
  if (c->sib_next) c->sib_next->sib_prev = c->sib_prev;
  c->sib_prev = c->sib_next = 0;
  live_c--;
  block_free(c);
}

/* A native call ends (returned, cancelled or trapped): the C coroutines it created end with it. */
static void root_free_children(QcoCoroutine *root) {
  while (root->children) c_free(root->children);
}

/* ---- switching ----------------------------------------------------------- */

static QcoCoroutine *cur;
/* Asyncify's {current, end} descriptor of the unwind window. */
static struct { uint32_t cur, end; } window;
/* What asyncify is doing (0 normal, 1 unwinding, 2 rewinding), mirrored for recovery. */
static int32_t astate;
/* Limits the stack-check pass enforces now (mirrored: its globals are not visible from C). */
static uint32_t lim_base = QCO_MAIN_STACK_SIZE, lim_limit = 16;

static void set_limits(uint32_t base, uint32_t limit) {
  lim_base = base;
  lim_limit = limit;
  qco_set_stack_limits(base, limit);
}

/*
 * Leave `from` for `to` (NULL: the JavaScript caller of qco_run) passing
 * `action`; returns what `from` is resumed with. Not instrumented by asyncify
 * (it starts the unwind); its callers are, and unwind after it returns.
 */
__attribute__((noinline)) static int32_t qco_switch(QcoCoroutine *from, QcoCoroutine *to, int32_t action) {
  if (from->rewinding) {
    from->rewinding = 0;
    asyncify_stop_rewind();
    astate = 0;
    from->state = ST_RUNNING;
    return from->incoming;
  }
  from->target = to;
  from->outgoing = action;
  uint32_t end = memory_end();
  window.cur = end - (from->data_end - ((uint32_t)from + HEADER));
  window.end = end;
  astate = 1;
  asyncify_start_unwind(&window);
  return 0;
}

/*
 * Run the body of `c` (QEMU's coroutine trampoline): from its start, or, while
 * asyncify rewinds, back into the call that switched out. Returns 1 when the
 * body switched out (asyncify is unwinding), 0 when it returned, with where to
 * go next set. Always inlined into qco_run, which asyncify leaves alone: a
 * trampoline frame of its own would be unwound and rewound at every switch.
 */
static inline __attribute__((always_inline)) int run_body(QcoCoroutine *c) {
  switch (c->kind) {
  case KIND_JS:
    /* One step per run: nothing of a JavaScript body is ever on the wasm stack. */
    c->outgoing = qco_js_step(c->id);
    c->target = 0;
    return 0;
  case KIND_NATIVE_ROOT: {
    double ret = c->fn(c->args, c->nargs);
    if (astate == 1) return 1;
    c->ret = ret;
    break;
  }
  case KIND_CASE: {
    const char *result = c->case_fn();
    if (astate == 1) return 1;
    c->case_result = result;
    break;
  }
  default:
    c->entry(c->opaque);
    if (astate == 1) return 1;
    c->target = c->caller;
    c->caller = 0;
    c->state = ST_DONE;
    c->outgoing = QCO_TERMINATE;
    return 0;
  }
  root_free_children(c);
  c->state = ST_DONE;
  c->req_kind = REQ_NONE;
  c->target = 0;
  c->outgoing = QCO_TERMINATE;
  return 0;
}

/* Saved around each qco_run, so a trap inside can be undone by qco_recover. */
#define MAX_RUN_DEPTH 8192
static struct RunFrame { uint32_t sp, base, limit; QcoCoroutine *cur; } frames[MAX_RUN_DEPTH];
static int32_t depth;

/* A context whose wasm frames were thrown away by a trap or an exception. A JavaScript context is made fresh again. */
static void kill(QcoCoroutine *dead) {
  dead->rewinding = 0;
  dead->target = 0;
  if (dead->kind == KIND_JS) {
    dead->state = ST_FRESH;
    dead->sp = dead->stack_hi;
  } else {
    /* A C coroutine's native call is dead too: cancel frees the root with every C coroutine of the call. */
    dead->state = ST_DONE;
    dead->caller = 0;
  }
}

/*
 * Forget the qco_run levels from `d` up, whose wasm frames a trap or an exception
 * threw away: stop asyncify, kill the context each level was running, restore
 * what the outermost of them saved. Returns the innermost dead context.
 */
static QcoCoroutine *unwind_to(int32_t d) {
  QcoCoroutine *innermost = 0;
  if (astate) {
    asyncify_stop_unwind(); /* one function stops either direction */
    astate = 0;
  }
  while (depth > d) {
    QcoCoroutine *dead = cur;
    struct RunFrame *f = &frames[--depth];
    if (dead) kill(dead);
    if (!innermost) innermost = dead;
    set_limits(f->base, f->limit);
    qco_set_sp(f->sp);
    cur = f->cur;
  }
  return innermost;
}

/*
 * Run `to` (resumed with `value`) and whatever it switches to, until a context
 * switches back to JavaScript; returns the action it passed. -1: too deeply
 * nested; -2: `to` cannot be run (running or dead). `level` is how many qco_run calls JavaScript has active around this
 * one: more recorded here means an earlier one died without qco_recover (its
 * catch block ran out of stack), and is cleaned up first. Calls asyncify's
 * stop_unwind / start_rewind, so it is not instrumented.
 */
__attribute__((export_name("qco_run"))) int32_t qco_run(QcoCoroutine *to, int32_t value, int32_t level) {
  if (depth != level && level >= 0 && level < depth) unwind_to(level);
  if (depth == MAX_RUN_DEPTH) return -1;
  if (!to || (to->state != ST_FRESH && to->state != ST_SUSPENDED)) return -2;
  struct RunFrame *f = &frames[depth++];
  f->sp = qco_get_sp();
  f->base = lim_base;
  f->limit = lim_limit;
  f->cur = cur;
  QcoCoroutine *next = to;
  next->incoming = value;
  QcoCoroutine *from;
  for (;;) {
    cur = next;
    set_limits(next->stack_hi, next->stack_lo);
    qco_set_sp(next->sp);
    if (next->state == ST_FRESH || next->kind == KIND_JS) {
      next->state = ST_RUNNING;
    } else {
      /* Rewinding only reads the data region, so it rewinds from home; only unwinds need the window. */
      window.cur = (uint32_t)next + HEADER + next->data_used;
      window.end = next->data_end;
      next->rewinding = 1;
      astate = 2;
      asyncify_start_rewind(&window);
    }
    from = next;
    if (run_body(from)) {
      asyncify_stop_unwind();
      astate = 0;
      window_save(from, window.cur);
    } else {
      from->data_used = 0;
    }
    from->sp = qco_get_sp();
    if (from->state == ST_RUNNING) from->state = ST_SUSPENDED;
    next = from->target;
    if (!next) break;
    next->incoming = from->outgoing;
  }
  set_limits(f->base, f->limit);
  qco_set_sp(f->sp);
  cur = f->cur;
  depth--;
  return from->outgoing;
}

/*
 * After a trap or a JavaScript exception crossed qco_run at `level`: forget that
 * level and any above it, and return the context that was running (now dead).
 */
__attribute__((export_name("qco_recover"))) QcoCoroutine *qco_recover(int32_t level) {
  return level >= 0 && level < depth ? unwind_to(level) : 0;
}

/* ---- contexts for JavaScript ------------------------------------------- */

__attribute__((export_name("qco_js_new"))) QcoCoroutine *qco_js_new(int32_t id, uint32_t data_size, uint32_t stack_size) {
  QcoCoroutine *c = ctx_new(KIND_JS, data_size, stack_size);
  if (c) c->id = id;
  return c;
}

__attribute__((export_name("qco_ctx_free"))) void qco_ctx_free(QcoCoroutine *c) {
  if (!c || c->state == ST_FREE || c == cur || c->kind == KIND_C) return;
  if (c->kind == KIND_NATIVE_ROOT || c->kind == KIND_CASE) root_free_children(c);
  block_free(c);
}

/* ---- the coroutine API (qco.h) ------------------------------------------- */

QcoCoroutine *qco_create_sized(QcoEntry *entry, void *opaque, uint32_t data_size, uint32_t stack_size) {
  QcoCoroutine *c = ctx_new(KIND_C, data_size, stack_size);
  if (!c) return 0;
  c->entry = entry;
  c->opaque = opaque;
  live_c++;
  /* It belongs to the native call (or case) running now, and ends with it at the latest. */
  QcoCoroutine *root = cur ? cur->root : 0;
  c->root = root;
  if (root) {
    c->sib_next = root->children;
    if (root->children) root->children->sib_prev = c;
    root->children = c;
  }
  return c;
}

QcoCoroutine *qco_create(QcoEntry *entry, void *opaque) {
  return qco_create_sized(entry, opaque, 4096, 12288 - HEADER);
}

int qco_enter(QcoCoroutine *co) {
  QcoCoroutine *self = cur;
  if (!self || !co || co->kind != KIND_C || co->state == ST_DONE || co->state == ST_FREE) return QCO_ETERMINATED;
  if (co->caller || co == self || co->state == ST_RUNNING) return QCO_EREENTERED;
  co->caller = self;
  int32_t ret = qco_switch(self, co, QCO_ENTER);
  if (ret == QCO_TERMINATE) c_free(co);
  return 0;
}

/* ---- requests to the JavaScript coroutine ---------------------------------- */

/* Suspend the whole native call (from any C coroutine inside it) until the core serves the request. */
static double request(int32_t kind, int32_t a, int32_t b, double ns) {
  QcoCoroutine *self = cur;
  QcoCoroutine *root = self ? self->root : 0;
  if (!root || root->kind != KIND_NATIVE_ROOT) return -1; /* nobody to serve it */
  root->req_kind = kind;
  root->req_a = a;
  root->req_b = b;
  root->req_ns = ns;
  root->leaf = self;
  int32_t input = qco_switch(self, 0, QCO_YIELD);
  root->leaf = 0;
  root->req_kind = REQ_NONE;
  return input;
}

double qco_yield(void) {
  QcoCoroutine *self = cur;
  if (self && self->kind == KIND_NATIVE_ROOT) return request(REQ_YIELD, 0, 0, 0);
  if (!self || self->kind != KIND_C || !self->caller) return -1;
  QcoCoroutine *to = self->caller;
  self->caller = 0;
  qco_switch(self, to, QCO_YIELD);
  return 0;
}

QcoCoroutine *qco_self(void) { return cur; }
int qco_in_coroutine(void) { return cur && (cur->kind == KIND_C || cur->kind == KIND_NATIVE_ROOT); }
int qco_entered(QcoCoroutine *co) { return co && (co->caller != 0 || co == cur); }
int32_t qco_live(void) { return live_c; }

double qco_wait_fd(int fd, int events) { return request(REQ_FD, fd, events, 0); }
double qco_sleep_ns(int64_t ns) { return request(REQ_SLEEP, 0, 0, (double)ns); }
void qco_mutex_lock(int mutex) { request(REQ_LOCK, mutex, 0, 0); }
void qco_mutex_unlock(int mutex) { request(REQ_UNLOCK, mutex, 0, 0); }

/* ---- functions runnable from JavaScript, by name ---------------------------- */

#define MAX_FNS 256
static struct { const char *name; QcoFunction *fn; } fns[MAX_FNS];
static int32_t nfns;

static int same_name(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

int qco_register_function(const char *name, QcoFunction *fn) {
  if (!name || !fn || !name[0]) return -1;
  for (int32_t i = 0; i < nfns; i++)
    if (same_name(fns[i].name, name)) return fns[i].fn == fn ? 0 : -2; /* the same pair again is fine */
  if (nfns == MAX_FNS) return -3;
  fns[nfns].name = name;
  fns[nfns].fn = fn;
  nfns++;
  return 0;
}

/* QCO_MAIN of the C compiled into the module. */
void qco_user_main(void);
static int registered;

__attribute__((export_name("qco_fn_count"))) int32_t qco_fn_count(void) {
  if (!registered) {
    registered = 1;
    heap_init();
    qco_user_main();
  }
  return nfns;
}

__attribute__((export_name("qco_fn_name"))) const char *qco_fn_name(int32_t i) {
  return i >= 0 && i < nfns ? fns[i].name : 0;
}

/* A native call of fn `i` on a fresh root context; JavaScript writes its arguments (args, nargs), then runs it with qco_run. */
__attribute__((export_name("qco_native_start"))) QcoCoroutine *qco_native_start(int32_t i, uint32_t data_size, uint32_t stack_size) {
  if (i < 0 || i >= nfns) return 0;
  QcoCoroutine *c = ctx_new(KIND_NATIVE_ROOT, data_size, stack_size);
  if (!c) return 0;
  c->fn = fns[i].fn;
  c->root = c;
  return c;
}

/* The context a native call resumes: the one suspended in a request, else its root. */
__attribute__((export_name("qco_native_leaf"))) QcoCoroutine *qco_native_leaf(QcoCoroutine *root) {
  return root->leaf ? root->leaf : root;
}

QcoCoroutine *qco_case_start(const char *(*fn)(void), uint32_t data_size, uint32_t stack_size) {
  QcoCoroutine *c = ctx_new(KIND_CASE, data_size, stack_size);
  if (!c) return 0;
  c->case_fn = fn;
  c->root = c;
  return c;
}

const char *qco_case_result(QcoCoroutine *ctx) { return ctx->case_result; }

/* ---- bytes lent to a native call (a Uint8Array argument's copy) ------------ */

/* Power-of-two classes from 16 bytes; a block's class is kept in the 16 bytes before it. */
static uint32_t *byte_lists[28];

__attribute__((export_name("qco_bytes_alloc"))) uint8_t *qco_bytes_alloc(uint32_t n) {
  uint32_t k = 4;
  while (k < 31 && (1u << k) < n) k++;
  if ((1u << k) < n) return 0;
  uint32_t *b = byte_lists[k - 4];
  if (b) {
    byte_lists[k - 4] = (uint32_t *)(uintptr_t)b[1];
  } else {
    b = heap_take(16u + (1u << k));
    if (!b) return 0;
  }
  b[0] = k;
  return (uint8_t *)(b + 4);
}

__attribute__((export_name("qco_bytes_free"))) void qco_bytes_free(uint8_t *p) {
  if (!p) return;
  uint32_t *b = (uint32_t *)p - 4;
  uint32_t k = b[0];
  b[1] = (uint32_t)(uintptr_t)byte_lists[k - 4];
  byte_lists[k - 4] = b;
}
