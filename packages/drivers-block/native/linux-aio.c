/*
 * Native submission paths for the file driver, one context per mode:
 * mode 0 is Linux native AIO (io_setup / io_submit / io_getevents, through
 * raw syscalls so nothing beyond the kernel headers is needed); mode 1 is a
 * pthread pool in the manner of QEMU's util/thread-pool.c (up to max_threads
 * workers started on demand, each doing a blocking pread / pwrite / preadv /
 * pwritev / fdatasync, woken one per batch and passing the wake-up on);
 * mode 2 is io_uring (liburing, where the build found it: QCO_HAVE_LIBURING),
 * one submission-queue entry per request and one io_uring_enter per batch, as
 * QEMU's block/io_uring.c does.
 * Requests are prepared one by one into per-slot iocbs and submitted in
 * batches (the caller batches with defer-call, as QEMU's linux-aio does);
 * completions signal an eventfd (io_uring: its own ring fd) that a libuv poll handle watches, and the
 * handler hands (slot, result) pairs to JavaScript through two Int32Arrays
 * shared at open. The poll handle stays registered once started, but is
 * referenced only while requests are in flight, so an idle context does not
 * keep the process alive and a request costs no epoll_ctl. Misuse (bad
 * handle, slot out of range, buffer too small) throws instead of crashing.
 */
#define _GNU_SOURCE /* preadv2, RWF_NOWAIT */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <linux/aio_abi.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>
#ifdef QCO_HAVE_LIBURING
#include <liburing.h>
#endif

/* Segments one vectored request may carry: a virtio-blk request's seg_max (126) with room to spare. */
#define PREP_MAX_IOV 256

typedef struct {
  aio_context_t ctx;
#ifdef QCO_HAVE_LIBURING
  struct io_uring ring; /* mode 2 */
#endif
  int efd;
  int depth;
  int inflight;
  int polling;
  int closed;
  int handle_alive; /* the JS handle still exists: the Ctx must outlive it, closed or not */
  int poll_closed;  /* libuv has let go of the poll handle */
  int last_error;
  uv_poll_t poll;
  napi_env env;
  napi_ref cb;
  napi_ref ids_ref;
  napi_ref res_ref;
  napi_async_context actx; /* one async resource for every completion callback, made at open */
  int32_t *ids;
  int32_t *res;
  struct iocb *iocbs;
  struct iovec *iovs; /* PREP_MAX_IOV per slot, for prepv */
  struct iocb **pending;
  int npending;
  struct io_event *events;
  /* mode 1: the thread pool */
  int mode;
  int max_threads;
  int nthreads;
  int idle;
  int wakes_in_flight; /* signalled workers that have not yet left pthread_cond_wait */
  int stop;
  pthread_t *threads;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  int *work;      /* ring of slots waiting for a worker */
  int work_head, work_len;
  int32_t *done_slot; /* completions not yet delivered */
  int32_t *done_res;
  int done_len;
} Ctx;

static int64_t do_request(struct iocb *cb) {
  int fd = (int)cb->aio_fildes;
  if (cb->aio_lio_opcode == IOCB_CMD_FDSYNC) return fdatasync(fd) < 0 ? -errno : 0;
  if (cb->aio_lio_opcode == IOCB_CMD_PREADV || cb->aio_lio_opcode == IOCB_CMD_PWRITEV) {
    /* One vectored call, as linux-aio does it: a short count goes back to the caller, which resubmits the rest. */
    const struct iovec *iov = (const struct iovec *)(uintptr_t)cb->aio_buf;
    int n = (int)cb->aio_nbytes;
    for (;;) {
      ssize_t r = cb->aio_lio_opcode == IOCB_CMD_PREADV ? preadv(fd, iov, n, (off_t)cb->aio_offset) : pwritev(fd, iov, n, (off_t)cb->aio_offset);
      if (r >= 0) return (int64_t)r;
      if (errno != EINTR) return -errno;
    }
  }
  uint8_t *buf = (uint8_t *)(uintptr_t)cb->aio_buf;
  size_t len = (size_t)cb->aio_nbytes, done = 0;
  off_t pos = (off_t)cb->aio_offset;
  while (done < len) {
    ssize_t n = cb->aio_lio_opcode == IOCB_CMD_PREAD ? pread(fd, buf + done, len - done, pos + (off_t)done)
                                                     : pwrite(fd, buf + done, len - done, pos + (off_t)done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (n == 0) {
      if (cb->aio_lio_opcode != IOCB_CMD_PREAD) return -ENOSPC;
      memset(buf + done, 0, len - done);
      break;
    }
    done += (size_t)n;
  }
  return (int64_t)len;
}

/* A large buffered write holds the file's inode lock for the whole copy, and
   the kernel's optimistic spinning on that lock burns a second core while
   another worker's write waits: on a two-core machine that core is the one the
   reads and the event loop need. Workers writing the same file take turns on
   a stripe mutex here instead, which sleeps at once (the stripe is chosen by
   descriptor, so two files that share one also take turns: rare, and only
   for large writes). Small writes keep the kernel's spin (short holds), and
   O_DIRECT writes may run in parallel. */
#define BIG_WRITE_MIN (256 * 1024)
#define WRITE_STRIPES 64
static pthread_mutex_t write_stripes[WRITE_STRIPES] = {[0 ... WRITE_STRIPES - 1] = PTHREAD_MUTEX_INITIALIZER};

static pthread_mutex_t *big_write_stripe(const struct iocb *cb) {
  if (cb->aio_lio_opcode != IOCB_CMD_PWRITE && cb->aio_lio_opcode != IOCB_CMD_PWRITEV) return NULL;
  size_t bytes = 0;
  if (cb->aio_lio_opcode == IOCB_CMD_PWRITE) {
    bytes = (size_t)cb->aio_nbytes;
  } else {
    const struct iovec *iov = (const struct iovec *)(uintptr_t)cb->aio_buf;
    for (size_t i = 0; i < (size_t)cb->aio_nbytes && bytes < BIG_WRITE_MIN; i++) bytes += iov[i].iov_len;
  }
  if (bytes < BIG_WRITE_MIN) return NULL;
  int fl = fcntl((int)cb->aio_fildes, F_GETFL);
  if (fl < 0 || (fl & O_DIRECT)) return NULL;
  return &write_stripes[(unsigned)cb->aio_fildes % WRITE_STRIPES];
}

static void *worker_main(void *arg) {
  Ctx *c = (Ctx *)arg;
  /* A batch thread does not preempt the running one when it is woken: on a
     small machine the submitter's signal otherwise hands its own core to the
     worker mid-call, and the event loop waits for a copy it does not need. */
  struct sched_param batch = {0};
  (void)pthread_setschedparam(pthread_self(), SCHED_BATCH, &batch);
  pthread_mutex_lock(&c->lock);
  for (;;) {
    while (c->work_len == 0 && !c->stop) {
      c->idle++;
      pthread_cond_wait(&c->cond, &c->lock);
      c->idle--;
      if (c->wakes_in_flight > 0) c->wakes_in_flight--;
    }
    if (c->stop) break;
    int slot = c->work[c->work_head];
    c->work_head = (c->work_head + 1) % c->depth;
    c->work_len--;
    /* Pass the wake-up on: the submitter signals one worker per batch and each
       woken worker wakes the next while queued work outnumbers the wake-ups
       already on their way, so the futex calls (and the preemption a wake-up
       costs on a small machine) fall on the workers, not the event loop. */
    int chain = c->work_len > c->wakes_in_flight && c->idle > c->wakes_in_flight;
    if (chain) c->wakes_in_flight++;
    pthread_mutex_unlock(&c->lock);
    if (chain) pthread_cond_signal(&c->cond);
    pthread_mutex_t *stripe = big_write_stripe(&c->iocbs[slot]);
    if (stripe) pthread_mutex_lock(stripe);
    int64_t r = do_request(&c->iocbs[slot]);
    if (stripe) pthread_mutex_unlock(stripe);
    pthread_mutex_lock(&c->lock);
    int wake = c->done_len == 0;
    c->done_slot[c->done_len] = slot;
    c->done_res[c->done_len] = (int32_t)r;
    c->done_len++;
    if (wake) {
      /* the eventfd write is a syscall: not under the lock the other workers need */
      pthread_mutex_unlock(&c->lock);
      uint64_t one = 1;
      ssize_t w = write(c->efd, &one, sizeof one);
      (void)w;
      pthread_mutex_lock(&c->lock);
    }
  }
  pthread_mutex_unlock(&c->lock);
  return NULL;
}

static int sys_io_setup(unsigned nr, aio_context_t *ctx) { return (int)syscall(SYS_io_setup, nr, ctx); }
static int sys_io_destroy(aio_context_t ctx) { return (int)syscall(SYS_io_destroy, ctx); }
static int sys_io_submit(aio_context_t ctx, long n, struct iocb **iocbs) { return (int)syscall(SYS_io_submit, ctx, n, iocbs); }
static int sys_io_getevents(aio_context_t ctx, long min, long max, struct io_event *ev, struct timespec *t) {
  return (int)syscall(SYS_io_getevents, ctx, min, max, ev, t);
}

#define THROW(env, msg)                     \
  do {                                      \
    napi_throw_error((env), NULL, (msg));   \
    return NULL;                            \
  } while (0)
#define CHECK(env, call, msg)                \
  do {                                       \
    if ((call) != napi_ok) THROW(env, msg);  \
  } while (0)

static void on_ready(uv_poll_t *h, int status, int events);

static void stop_polling(Ctx *c) {
  if (c->polling) {
    uv_poll_stop(&c->poll);
    c->polling = 0;
  }
}

static int collect(Ctx *c) {
  if (c->mode == 1) {
    pthread_mutex_lock(&c->lock);
    int n = c->done_len;
    memcpy(c->ids, c->done_slot, (size_t)n * sizeof(int32_t));
    memcpy(c->res, c->done_res, (size_t)n * sizeof(int32_t));
    c->done_len = 0;
    pthread_mutex_unlock(&c->lock);
    return n;
  }
#ifdef QCO_HAVE_LIBURING
  if (c->mode == 2) {
    int n = 0;
    struct io_uring_cqe *cqe;
    unsigned head;
    /* Every ready entry read from the shared ring, then one release of the head for them all. */
    io_uring_for_each_cqe(&c->ring, head, cqe) {
      if (n >= c->depth) break;
      c->ids[n] = (int32_t)cqe->user_data;
      c->res[n] = (int32_t)cqe->res;
      n++;
    }
    if (n > 0) io_uring_cq_advance(&c->ring, (unsigned)n);
    return n;
  }
#endif
  struct timespec zero = {0, 0};
  int n = sys_io_getevents(c->ctx, 0, c->depth, c->events, &zero);
  for (int i = 0; i < n; i++) {
    c->ids[i] = (int32_t)c->events[i].data;
    c->res[i] = (int32_t)c->events[i].res;
  }
  return n;
}

/* Passes one readiness event may make: enough that a busy pool needs few
   epoll round trips, bounded so the loop's timers and other handles still run. */
#define DELIVER_MAX_PASSES 8

static void deliver(Ctx *c) {
  for (int pass = 0; pass < DELIVER_MAX_PASSES; pass++) {
    int n = collect(c);
    if (n <= 0) break;
    c->inflight -= n;
    if (c->inflight <= 0) {
      /* Idle: the poll stays registered (no epoll_ctl per request) but no longer keeps the loop alive. */
      c->inflight = 0;
      uv_unref((uv_handle_t *)&c->poll);
    }
    napi_handle_scope scope;
    if (napi_open_handle_scope(c->env, &scope) != napi_ok) return;
    napi_value cb, global, argv[1], result;
    if (napi_get_reference_value(c->env, c->cb, &cb) == napi_ok && napi_get_global(c->env, &global) == napi_ok &&
        napi_create_int32(c->env, n, &argv[0]) == napi_ok)
      napi_make_callback(c->env, c->actx, global, cb, 1, argv, &result);
    napi_close_handle_scope(c->env, scope);
    if (c->closed) return;
    /* Leaving with completions still queued loses none: a worker that finds the
       done list empty signals the eventfd again, and a non-empty completion ring
       keeps its fd readable, so the loop comes back. The pool's list and the
       ring are looked at again for free; linux-aio's io_getevents is a syscall,
       so it is asked again only after a full batch. */
    if (c->mode == 0 && n < c->depth) break;
  }
}

static void on_ready(uv_poll_t *h, int status, int events) {
  (void)status;
  (void)events;
  Ctx *c = (Ctx *)h->data;
  if (c->mode != 2) {
    uint64_t v;
    /* One read takes the whole eventfd counter; a second would only fail with EAGAIN. */
    ssize_t r = read(c->efd, &v, sizeof v);
    (void)r;
  }
  deliver(c);
}

static Ctx *get_ctx(napi_env env, napi_value v) {
  Ctx *c = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) return NULL;
  if (napi_get_value_external(env, v, (void **)&c) != napi_ok) return NULL;
  if (c == NULL || c->closed) return NULL;
  return c;
}

/* The Ctx is freed once both libuv and the JS handle are done with it, so a closed handle used again finds closed set, not freed memory. */
static void on_close(uv_handle_t *h) {
  Ctx *c = (Ctx *)h->data;
  c->poll_closed = 1;
  if (!c->handle_alive) free(c);
}

static void finalize_handle(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Ctx *c = (Ctx *)data;
  c->handle_alive = 0;
  if (c->poll_closed) free(c);
}

static void release(Ctx *c) {
  if (c->closed) return;
  c->closed = 1;
  stop_polling(c);
  /* Off libuv's epoll set before its fd is closed below (on_close runs on a later loop turn, so c stays valid here). */
  uv_close((uv_handle_t *)&c->poll, on_close);
  if (c->mode == 1) {
    pthread_mutex_lock(&c->lock);
    c->stop = 1;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    for (int i = 0; i < c->nthreads; i++) pthread_join(c->threads[i], NULL);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->cond);
    free(c->threads);
    free(c->work);
    free(c->done_slot);
    free(c->done_res);
  } else if (c->mode == 2) {
#ifdef QCO_HAVE_LIBURING
    io_uring_queue_exit(&c->ring);
#endif
  } else {
    sys_io_destroy(c->ctx);
  }
  close(c->efd);
  napi_delete_reference(c->env, c->cb);
  napi_delete_reference(c->env, c->ids_ref);
  napi_delete_reference(c->env, c->res_ref);
  if (c->actx) napi_async_destroy(c->env, c->actx);
  free(c->iocbs);
  free(c->iovs);
  free(c->pending);
  free(c->events);
}

static int32_t *int32_data(napi_env env, napi_value v, size_t min_len) {
  napi_typedarray_type type;
  size_t length;
  void *data;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &off) != napi_ok) return NULL;
  if (type != napi_int32_array || length < min_len) return NULL;
  return (int32_t *)data;
}

static void free_ctx(Ctx *c) {
  free(c->iocbs);
  free(c->iovs);
  free(c->pending);
  free(c->events);
  free(c->threads);
  free(c->work);
  free(c->done_slot);
  free(c->done_res);
  free(c);
}

/* open(depth, callback, ids: Int32Array, res: Int32Array, mode = 0, maxThreads = 64) -> handle */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL), "linux-aio: bad arguments");
  if (argc < 4) THROW(env, "linux-aio: open(depth, callback, ids, res, mode, maxThreads)");
  int32_t mode = 0, max_threads = 64;
  if (argc >= 5 && napi_get_value_int32(env, argv[4], &mode) != napi_ok) THROW(env, "linux-aio: mode must be a number");
  if (argc >= 6 && napi_get_value_int32(env, argv[5], &max_threads) != napi_ok) THROW(env, "linux-aio: maxThreads must be a number");
  if (mode != 0 && mode != 1 && mode != 2) THROW(env, "linux-aio: mode must be 0 (linux-aio), 1 (threads) or 2 (io_uring)");
#ifndef QCO_HAVE_LIBURING
  if (mode == 2) THROW(env, "io_uring: this addon was built without liburing");
#endif
  if (max_threads < 1 || max_threads > 1024) THROW(env, "linux-aio: maxThreads out of range");
  int32_t depth;
  CHECK(env, napi_get_value_int32(env, argv[0], &depth), "linux-aio: depth must be a number");
  if (depth < 1 || depth > 4096) THROW(env, "linux-aio: depth out of range");
  napi_valuetype t;
  napi_typeof(env, argv[1], &t);
  if (t != napi_function) THROW(env, "linux-aio: callback must be a function");
  int32_t *ids = int32_data(env, argv[2], (size_t)depth);
  int32_t *res = int32_data(env, argv[3], (size_t)depth);
  if (!ids || !res) THROW(env, "linux-aio: ids and res must be Int32Arrays of at least depth entries");
  Ctx *c = calloc(1, sizeof *c);
  if (!c) THROW(env, "linux-aio: out of memory");
  c->depth = depth;
  c->env = env;
  c->ids = ids;
  c->res = res;
  c->iocbs = calloc((size_t)depth, sizeof *c->iocbs);
  c->iovs = calloc((size_t)depth * PREP_MAX_IOV, sizeof *c->iovs);
  c->pending = calloc((size_t)depth, sizeof *c->pending);
  c->events = calloc((size_t)depth, sizeof *c->events);
  c->mode = mode;
  c->max_threads = max_threads;
  if (mode == 1) {
    c->threads = calloc((size_t)max_threads, sizeof *c->threads);
    c->work = calloc((size_t)depth, sizeof *c->work);
    c->done_slot = calloc((size_t)depth, sizeof *c->done_slot);
    c->done_res = calloc((size_t)depth, sizeof *c->done_res);
  }
  if (!c->iocbs || !c->pending || !c->events || !c->iovs || (mode == 1 && (!c->threads || !c->work || !c->done_slot || !c->done_res))) {
    free_ctx(c);
    THROW(env, "linux-aio: out of memory");
  }
  if (mode == 1) {
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
  } else if (mode == 2) {
#ifdef QCO_HAVE_LIBURING
    int r = io_uring_queue_init((unsigned)depth, &c->ring, 0);
    if (r < 0) {
      free_ctx(c);
      napi_throw_error(env, NULL, r == -ENOSYS ? "io_uring: not supported by this kernel" : strerror(-r));
      return NULL;
    }
#endif
  } else if (sys_io_setup((unsigned)depth, &c->ctx) < 0) {
    int e = errno;
    free_ctx(c);
    napi_throw_error(env, NULL, e == ENOSYS ? "linux-aio: io_setup not supported" : strerror(e));
    return NULL;
  }
  c->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  uv_loop_t *loop;
  /* io_uring's own fd is readable while its completion ring holds entries (as
     QEMU watches it): no eventfd to signal per completion and to read per wake-up. */
  int poll_fd = c->efd;
#ifdef QCO_HAVE_LIBURING
  if (mode == 2) poll_fd = c->ring.ring_fd;
#endif
  if (c->efd < 0 || napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init(loop, &c->poll, poll_fd) != 0) {
    if (c->efd >= 0) close(c->efd);
    if (mode == 1) {
      pthread_mutex_destroy(&c->lock);
      pthread_cond_destroy(&c->cond);
    } else if (mode == 2) {
#ifdef QCO_HAVE_LIBURING
      io_uring_queue_exit(&c->ring);
#endif
    } else {
      sys_io_destroy(c->ctx);
    }
    free_ctx(c);
    THROW(env, "linux-aio: eventfd / poll setup failed");
  }
  napi_value resname;
  /* Should this fail, NULL still calls back (only async hooks lose track of it). */
  if (napi_create_string_utf8(env, "qco-linux-aio", NAPI_AUTO_LENGTH, &resname) != napi_ok || napi_async_init(env, NULL, resname, &c->actx) != napi_ok)
    c->actx = NULL;
  c->poll.data = c;
  napi_create_reference(env, argv[1], 1, &c->cb);
  napi_create_reference(env, argv[2], 1, &c->ids_ref);
  napi_create_reference(env, argv[3], 1, &c->res_ref);
  napi_value handle;
  CHECK(env, napi_create_external(env, c, finalize_handle, NULL, &handle), "linux-aio: cannot create handle");
  c->handle_alive = 1;
  return handle;
}

/*
 * prep(handle, slot, op, fd, buf: Uint8Array, len, pos, align?) -> bool: queue one
 * request (op 0 read, 1 write, 2 flush). With align (a power of two), only a
 * buffer whose address and len are multiples of it (len > 0) is queued, and
 * false says it was not: prepv's check for one segment without the array.
 */
/* Fill slot's iocb and queue it for the next submit (every prep form ends here). */
static void queue_iocb(Ctx *c, int32_t slot, uint16_t opcode, int32_t fd, const void *buf, uint64_t nbytes, double pos) {
  struct iocb *cb = &c->iocbs[slot];
  memset(cb, 0, sizeof *cb);
  cb->aio_data = (uint64_t)slot;
  cb->aio_lio_opcode = opcode;
  cb->aio_fildes = (uint32_t)fd;
  cb->aio_buf = (uint64_t)(uintptr_t)buf;
  cb->aio_nbytes = nbytes;
  cb->aio_offset = (int64_t)pos;
  cb->aio_flags = IOCB_FLAG_RESFD;
  cb->aio_resfd = (uint32_t)c->efd;
  c->pending[c->npending++] = cb;
}

/* What is wrong with a vectored request's slot, op, position or alignment (prepv, prepSpans); NULL when nothing. */
static const char *vectored_misuse(const Ctx *c, int32_t slot, int32_t op, double pos, int32_t align) {
  if (slot < 0 || slot >= c->depth) return "linux-aio: slot out of range";
  if (c->npending >= c->depth) return "linux-aio: too many pending requests";
  if (op != 0 && op != 1) return "linux-aio: a vectored op must be 0 (read) or 1 (write)";
  if (!(pos >= 0)) return "linux-aio: negative position";
  if (align < 1 || (align & (align - 1)) != 0) return "linux-aio: align must be a power of two";
  return NULL;
}

static napi_value js_prep(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL), "linux-aio: bad arguments");
  if (argc < 7) THROW(env, "linux-aio: prep(handle, slot, op, fd, buf, len, pos)");
  Ctx *c = get_ctx(env, argv[0]);
  if (!c) THROW(env, "linux-aio: closed or invalid handle");
  int32_t slot, op, fd, len;
  double pos;
  if (napi_get_value_int32(env, argv[1], &slot) != napi_ok || napi_get_value_int32(env, argv[2], &op) != napi_ok ||
      napi_get_value_int32(env, argv[3], &fd) != napi_ok || napi_get_value_int32(env, argv[5], &len) != napi_ok ||
      napi_get_value_double(env, argv[6], &pos) != napi_ok)
    THROW(env, "linux-aio: slot, op, fd, len and pos must be numbers");
  if (slot < 0 || slot >= c->depth) THROW(env, "linux-aio: slot out of range");
  if (c->npending >= c->depth) THROW(env, "linux-aio: too many pending requests");
  if (op != 0 && op != 1 && !(op == 2 && c->mode != 0)) THROW(env, "linux-aio: op must be 0 (read), 1 (write) or, with threads or io_uring, 2 (flush)");
  if (len < 0 || pos < 0) THROW(env, "linux-aio: negative length or position");
  napi_typedarray_type type;
  size_t length;
  void *data;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, argv[4], &type, &length, &data, &ab, &off) != napi_ok || type != napi_uint8_array)
    THROW(env, "linux-aio: buf must be a Uint8Array");
  if ((size_t)len > length) THROW(env, "linux-aio: buffer shorter than the request");
  napi_value yes, no;
  napi_get_boolean(env, true, &yes);
  napi_get_boolean(env, false, &no);
  if (argc >= 8) {
    int32_t align;
    if (napi_get_value_int32(env, argv[7], &align) != napi_ok) THROW(env, "linux-aio: align must be a number");
    if (align < 1 || (align & (align - 1)) != 0) THROW(env, "linux-aio: align must be a power of two");
    if (len == 0 || ((uintptr_t)data % (uintptr_t)align) != 0 || len % align != 0) return no;
  }
  queue_iocb(c, slot, op == 0 ? IOCB_CMD_PREAD : op == 1 ? IOCB_CMD_PWRITE : IOCB_CMD_FDSYNC, fd, data, (uint64_t)len, pos);
  return yes;
}

/*
 * prepv(handle, slot, op, fd, bufs: Uint8Array[], pos, align) -> bool: queue one
 * vectored read (op 0) or write (op 1) straight from the caller's buffers, so
 * O_DIRECT needs no bounce copy. Only where every segment's address and length
 * are multiples of align (and there are at most PREP_MAX_IOV of them, under
 * 1 GiB in all) is it queued; false tells the caller to take its bounce path.
 * The buffers must stay alive until the request completes (the caller's
 * waiting coroutine holds them). Every mode: the thread pool's worker makes it
 * one preadv / pwritev.
 */
static napi_value js_prepv(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL), "linux-aio: bad arguments");
  if (argc < 7) THROW(env, "linux-aio: prepv(handle, slot, op, fd, bufs, pos, align)");
  Ctx *c = get_ctx(env, argv[0]);
  if (!c) THROW(env, "linux-aio: closed or invalid handle");
  int32_t slot, op, fd, align;
  double pos;
  if (napi_get_value_int32(env, argv[1], &slot) != napi_ok || napi_get_value_int32(env, argv[2], &op) != napi_ok ||
      napi_get_value_int32(env, argv[3], &fd) != napi_ok || napi_get_value_double(env, argv[5], &pos) != napi_ok ||
      napi_get_value_int32(env, argv[6], &align) != napi_ok)
    THROW(env, "linux-aio: slot, op, fd, pos and align must be numbers");
  const char *bad = vectored_misuse(c, slot, op, pos, align);
  if (bad) THROW(env, bad);
  bool is_array;
  uint32_t n;
  if (napi_is_array(env, argv[4], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[4], &n) != napi_ok)
    THROW(env, "linux-aio: bufs must be an array of Uint8Arrays");
  napi_value no;
  napi_get_boolean(env, false, &no);
  if (n == 0 || n > PREP_MAX_IOV) return no;
  struct iovec *iov = &c->iovs[(size_t)slot * PREP_MAX_IOV];
  size_t total = 0;
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    napi_typedarray_type type;
    size_t length;
    void *data;
    if (napi_get_element(env, argv[4], i, &el) != napi_ok || napi_get_typedarray_info(env, el, &type, &length, &data, NULL, NULL) != napi_ok ||
        type != napi_uint8_array)
      THROW(env, "linux-aio: bufs must be an array of Uint8Arrays");
    if (length == 0 || ((uintptr_t)data % (uintptr_t)align) != 0 || length % (size_t)align != 0) return no;
    iov[i].iov_base = data;
    iov[i].iov_len = length;
    total += length;
    if (total >= (1u << 30)) return no;
  }
  queue_iocb(c, slot, op == 0 ? IOCB_CMD_PREADV : IOCB_CMD_PWRITEV, fd, iov, (uint64_t)n, pos);
  napi_value yes;
  napi_get_boolean(env, true, &yes);
  return yes;
}

/*
 * prepSpans(handle, slot, op, fd, base: Uint8Array, spans: Float64Array, n, pos, align) -> bool:
 * prepv for segments that all lie in one buffer, given as n (byte offset from
 * the start of base, length) pairs of spans instead of as n views: one typed
 * array read here rather than an element lookup and a typed-array query per
 * segment, which for a guest's scattered pages (up to seg_max of them per
 * request) cost more than the rest of the request's JavaScript. Refused
 * (false) on the same terms as prepv; a span outside base, or not a whole
 * number, is misuse and throws.
 */
static napi_value js_prep_spans(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL), "linux-aio: bad arguments");
  if (argc < 9) THROW(env, "linux-aio: prepSpans(handle, slot, op, fd, base, spans, n, pos, align)");
  Ctx *c = get_ctx(env, argv[0]);
  if (!c) THROW(env, "linux-aio: closed or invalid handle");
  int32_t slot, op, fd, n, align;
  double pos;
  if (napi_get_value_int32(env, argv[1], &slot) != napi_ok || napi_get_value_int32(env, argv[2], &op) != napi_ok ||
      napi_get_value_int32(env, argv[3], &fd) != napi_ok || napi_get_value_int32(env, argv[6], &n) != napi_ok ||
      napi_get_value_double(env, argv[7], &pos) != napi_ok || napi_get_value_int32(env, argv[8], &align) != napi_ok)
    THROW(env, "linux-aio: slot, op, fd, n, pos and align must be numbers");
  const char *bad = vectored_misuse(c, slot, op, pos, align);
  if (bad) THROW(env, bad);
  napi_typedarray_type type;
  size_t base_len, spans_len;
  void *base_data, *spans_data;
  if (napi_get_typedarray_info(env, argv[4], &type, &base_len, &base_data, NULL, NULL) != napi_ok || type != napi_uint8_array)
    THROW(env, "linux-aio: base must be a Uint8Array");
  if (napi_get_typedarray_info(env, argv[5], &type, &spans_len, &spans_data, NULL, NULL) != napi_ok || type != napi_float64_array)
    THROW(env, "linux-aio: spans must be a Float64Array");
  if (n < 0 || (size_t)n * 2 > spans_len) THROW(env, "linux-aio: n is more than spans holds");
  napi_value no;
  napi_get_boolean(env, false, &no);
  if (n == 0 || n > PREP_MAX_IOV) return no;
  const double *sp = (const double *)spans_data;
  struct iovec *iov = &c->iovs[(size_t)slot * PREP_MAX_IOV];
  size_t total = 0;
  for (int32_t i = 0; i < n; i++) {
    double off = sp[2 * i], len = sp[2 * i + 1];
    /* Whole numbers inside base: the comparisons are false for NaN, so it throws too. */
    if (!(off >= 0 && len >= 0 && off <= (double)base_len && len <= (double)base_len - off) || off != (double)(size_t)off || len != (double)(size_t)len)
      THROW(env, "linux-aio: span outside the buffer");
    uint8_t *data = (uint8_t *)base_data + (size_t)off;
    if (len == 0 || ((uintptr_t)data % (uintptr_t)align) != 0 || (size_t)len % (size_t)align != 0) return no;
    iov[i].iov_base = data;
    iov[i].iov_len = (size_t)len;
    total += (size_t)len;
    if (total >= (1u << 30)) return no;
  }
  queue_iocb(c, slot, op == 0 ? IOCB_CMD_PREADV : IOCB_CMD_PWRITEV, fd, iov, (uint64_t)n, pos);
  napi_value yes;
  napi_get_boolean(env, true, &yes);
  return yes;
}

/* submit(handle) -> number submitted; fewer than were pending means the rest failed with lastError(handle) */
static napi_value js_submit(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL), "linux-aio: bad arguments");
  Ctx *c = argc >= 1 ? get_ctx(env, argv[0]) : NULL;
  if (!c) THROW(env, "linux-aio: closed or invalid handle");
  int done = 0;
  if (c->mode == 1) {
    pthread_mutex_lock(&c->lock);
    for (int i = 0; i < c->npending; i++) {
      int slot = (int)c->pending[i]->aio_data;
      c->work[(c->work_head + c->work_len) % c->depth] = slot;
      c->work_len++;
    }
    /* a worker already signalled but not yet running is not idle: it will take
       one of the queued slots, so it must not be counted (or signalled) again */
    int idle = c->idle - c->wakes_in_flight;
    int want = c->work_len - idle;
    int started = c->nthreads;
    while (want > 0 && c->nthreads < c->max_threads) {
      if (pthread_create(&c->threads[c->nthreads], NULL, worker_main, c) != 0) break;
      c->nthreads++;
      want--;
    }
    if (c->nthreads == 0) c->last_error = EAGAIN;
    else done = c->npending;
    /* At most one wake-up from here, never a broadcast (64 threads on a few cores
       must not stampede): the woken worker passes it on (worker_main). None when
       the wake-ups already in flight or the new threads cover the queue. */
    int wake = idle > 0 && c->work_len > c->wakes_in_flight + (c->nthreads - started);
    if (wake) c->wakes_in_flight++;
    pthread_mutex_unlock(&c->lock);
    /* signalled after unlocking, so the woken worker does not first block on the mutex */
    if (wake) pthread_cond_signal(&c->cond);
    if (done == 0) {
      /* no worker could start: take the requests back */
      pthread_mutex_lock(&c->lock);
      c->work_len -= c->npending;
      pthread_mutex_unlock(&c->lock);
    }
  }
#ifdef QCO_HAVE_LIBURING
  if (c->mode == 2) {
    for (int i = 0; i < c->npending; i++) {
      struct iocb *cb = c->pending[i];
      /* the ring has depth entries and at most depth requests are pending: never NULL */
      struct io_uring_sqe *sqe = io_uring_get_sqe(&c->ring);
      if (!sqe) break;
      if (cb->aio_lio_opcode == IOCB_CMD_PREADV)
        io_uring_prep_readv(sqe, (int)cb->aio_fildes, (const struct iovec *)(uintptr_t)cb->aio_buf, (unsigned)cb->aio_nbytes, (uint64_t)cb->aio_offset);
      else if (cb->aio_lio_opcode == IOCB_CMD_PWRITEV)
        io_uring_prep_writev(sqe, (int)cb->aio_fildes, (const struct iovec *)(uintptr_t)cb->aio_buf, (unsigned)cb->aio_nbytes, (uint64_t)cb->aio_offset);
      else if (cb->aio_lio_opcode == IOCB_CMD_PREAD)
        io_uring_prep_read(sqe, (int)cb->aio_fildes, (void *)(uintptr_t)cb->aio_buf, (unsigned)cb->aio_nbytes, (uint64_t)cb->aio_offset);
      else if (cb->aio_lio_opcode == IOCB_CMD_PWRITE)
        io_uring_prep_write(sqe, (int)cb->aio_fildes, (const void *)(uintptr_t)cb->aio_buf, (unsigned)cb->aio_nbytes, (uint64_t)cb->aio_offset);
      else
        io_uring_prep_fsync(sqe, (int)cb->aio_fildes, IORING_FSYNC_DATASYNC);
      io_uring_sqe_set_data64(sqe, cb->aio_data);
    }
    for (;;) {
      int r = io_uring_submit(&c->ring);
      if (r == -EINTR) continue;
      if (r < 0) c->last_error = -r;
      else done = r;
      break;
    }
  }
#endif
  while (c->mode == 0 && done < c->npending) {
    int r = sys_io_submit(c->ctx, c->npending - done, c->pending + done);
    if (r < 0) {
      if (errno == EINTR) continue;
      c->last_error = errno;
      break;
    }
    if (r == 0) {
      c->last_error = EAGAIN;
      break;
    }
    done += r;
  }
  c->npending = 0;
  c->inflight += done;
  if (c->inflight > 0) {
    if (!c->polling && uv_poll_start(&c->poll, UV_READABLE, on_ready) == 0) c->polling = 1;
    /* Requests in flight keep the process alive until they complete. */
    uv_ref((uv_handle_t *)&c->poll);
  }
  napi_value out;
  napi_create_int32(env, done, &out);
  return out;
}

static napi_value js_last_error(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL), "linux-aio: bad arguments");
  Ctx *c = argc >= 1 ? get_ctx(env, argv[0]) : NULL;
  napi_value out;
  napi_create_int32(env, c ? c->last_error : EBADF, &out);
  return out;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL), "linux-aio: bad arguments");
  Ctx *c = argc >= 1 ? get_ctx(env, argv[0]) : NULL;
  if (c) release(c);
  return NULL;
}

/*
 * readNow(fd, buf: Uint8Array, len, pos) -> bytes read or -errno: one preadv2
 * with RWF_NOWAIT on the calling thread, which the kernel serves only from the
 * page cache and otherwise refuses with -EAGAIN (no wait for the disk, no
 * lock it would sleep on). A buffered read that hits the cache costs the event
 * loop one copy instead of a round trip through a worker thread; fewer bytes
 * than len means the rest was not cached, or the end of the file.
 */
static napi_value js_read_now(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL), "linux-aio: bad arguments");
  if (argc < 4) THROW(env, "linux-aio: readNow(fd, buf, len, pos)");
  int32_t fd, len;
  double pos;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_int32(env, argv[2], &len) != napi_ok ||
      napi_get_value_double(env, argv[3], &pos) != napi_ok)
    THROW(env, "linux-aio: fd, len and pos must be numbers");
  if (fd < 0 || len < 0 || !(pos >= 0 && pos <= 9007199254740992.0)) THROW(env, "linux-aio: negative or out-of-range fd, length or position");
  napi_typedarray_type type;
  size_t length;
  void *data;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, argv[1], &type, &length, &data, &ab, &off) != napi_ok || type != napi_uint8_array)
    THROW(env, "linux-aio: buf must be a Uint8Array");
  if ((size_t)len > length) THROW(env, "linux-aio: buffer shorter than the request");
  struct iovec iov = {.iov_base = data, .iov_len = (size_t)len};
  ssize_t n;
  do {
    n = preadv2(fd, &iov, 1, (off_t)pos, RWF_NOWAIT);
  } while (n < 0 && errno == EINTR);
  napi_value out;
  napi_create_double(env, n < 0 ? (double)-errno : (double)n, &out);
  return out;
}

/* available() -> whether io_setup works here */
static napi_value js_available(napi_env env, napi_callback_info info) {
  (void)info;
  aio_context_t ctx = 0;
  int ok = sys_io_setup(1, &ctx) == 0;
  if (ok) sys_io_destroy(ctx);
  napi_value out;
  napi_get_boolean(env, ok, &out);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"prepv", NULL, js_prepv, NULL, NULL, NULL, napi_default, NULL},
      {"prepSpans", NULL, js_prep_spans, NULL, NULL, NULL, napi_default, NULL},
      {"prep", NULL, js_prep, NULL, NULL, NULL, napi_default, NULL},
      {"submit", NULL, js_submit, NULL, NULL, NULL, napi_default, NULL},
      {"lastError", NULL, js_last_error, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"available", NULL, js_available, NULL, NULL, NULL, napi_default, NULL},
      {"readNow", NULL, js_read_now, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
