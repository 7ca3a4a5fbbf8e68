/*
 * What the vhost-user-blk export needs from the kernel that JavaScript cannot
 * reach: a unix stream socket whose messages carry file descriptors
 * (recvmsg / sendmsg with SCM_RIGHTS), shared mappings of the front-end's
 * memory regions (mmap of the memfds it sends) exposed as external
 * ArrayBuffers, eventfd reads and writes, and libuv poll handles so a kick
 * eventfd or the socket wakes JavaScript when readable. Everything else (the
 * protocol, the virtqueues, the device) is TypeScript.
 *
 * Misuse must not crash: every argument is checked, a bad descriptor is an
 * errno result, and unmapping detaches the ArrayBuffer first so that views
 * kept by JavaScript become empty instead of pointing at unmapped memory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#define MAX_FDS 16

#define THROW(env, msg)                        \
  do {                                         \
    napi_throw_error((env), NULL, (msg));      \
    return NULL;                               \
  } while (0)

static napi_value num(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return -1;
  for (size_t i = argc; i < want; i++) napi_get_undefined(env, &argv[i]);
  return 0;
}

/* An integer argument in [lo, hi]; -1 when it is not one. */
static int get_int(napi_env env, napi_value v, int64_t lo, int64_t hi, int64_t *out) {
  napi_valuetype t;
  double d;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return -1;
  if (napi_get_value_double(env, v, &d) != napi_ok) return -1;
  if (d != d || d < (double)lo || d > (double)hi || d != (double)(int64_t)d) return -1;
  *out = (int64_t)d;
  return 0;
}

static int get_fd(napi_env env, napi_value v, int *fd) {
  int64_t x;
  if (get_int(env, v, -1, INT32_MAX, &x) != 0) return -1;
  *fd = (int)x;
  return 0;
}

/* The bytes of a Uint8Array argument. */
static int get_bytes(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  bool is;
  napi_typedarray_type type;
  size_t length;
  void *p;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return -1;
  if (napi_get_typedarray_info(env, v, &type, &length, &p, NULL, NULL) != napi_ok || type != napi_uint8_array) return -1;
  *data = p;
  *len = length;
  return 0;
}

/* listen(path): a non-blocking listening unix socket bound at path (the caller removes stale files). */
static napi_value js_listen(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
  size_t len;
  if (get_args(env, info, 1, argv) != 0) THROW(env, "vhost-user: bad arguments");
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok) THROW(env, "vhost-user: socket path must be a string");
  if (len == 0 || len >= sizeof path - 1) THROW(env, "vhost-user: socket path is empty or too long");
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return num(env, -errno);
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  memcpy(a.sun_path, path, len);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 16) != 0) {
    int e = errno;
    close(fd);
    return num(env, -e);
  }
  return num(env, fd);
}

/* connect(path): a connected non-blocking unix socket (tests play the front-end with it). */
static napi_value js_connect(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
  size_t len;
  if (get_args(env, info, 1, argv) != 0) THROW(env, "vhost-user: bad arguments");
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok) THROW(env, "vhost-user: socket path must be a string");
  if (len == 0 || len >= sizeof path - 1) THROW(env, "vhost-user: socket path is empty or too long");
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return num(env, -errno);
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  memcpy(a.sun_path, path, len);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    int e = errno;
    close(fd);
    return num(env, -e);
  }
  int fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  return num(env, fd);
}

/* accept(fd): a connection (non-blocking), or -errno (-EAGAIN when none is waiting). */
static napi_value js_accept(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int fd;
  if (get_args(env, info, 1, argv) != 0 || get_fd(env, argv[0], &fd) != 0) THROW(env, "vhost-user: accept(fd)");
  int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  return num(env, c < 0 ? -errno : c);
}

/*
 * recv(fd, buf): one recvmsg into buf; returns [n, ...fds] (n 0 at end of
 * stream, -errno on error). Descriptors beyond MAX_FDS, or arriving with a
 * truncated control message, are closed rather than leaked.
 */
static napi_value js_recv(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int fd;
  uint8_t *data;
  size_t len;
  if (get_args(env, info, 2, argv) != 0 || get_fd(env, argv[0], &fd) != 0 || get_bytes(env, argv[1], &data, &len) != 0) {
    THROW(env, "vhost-user: recv(fd, Uint8Array)");
  }
  union {
    char buf[CMSG_SPACE(MAX_FDS * sizeof(int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = {data, len};
  struct msghdr m;
  memset(&m, 0, sizeof m);
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = u.buf;
  m.msg_controllen = sizeof u.buf;
  ssize_t n = len == 0 ? 0 : recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
  int fds[MAX_FDS];
  int nfds = 0;
  if (n > 0) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      int *p = (int *)CMSG_DATA(c);
      for (size_t i = 0; i < k; i++) {
        int x;
        memcpy(&x, p + i, sizeof x);
        if (nfds < MAX_FDS && !(m.msg_flags & MSG_CTRUNC)) fds[nfds++] = x;
        else close(x);
      }
    }
  }
  napi_value out;
  napi_create_array_with_length(env, (size_t)nfds + 1, &out);
  napi_set_element(env, out, 0, num(env, n < 0 ? -errno : (double)n));
  for (int i = 0; i < nfds; i++) napi_set_element(env, out, (uint32_t)i + 1, num(env, fds[i]));
  return out;
}

/* send(fd, buf, fds?): one sendmsg of buf with optional descriptors; bytes sent or -errno. */
static napi_value js_send(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int fd;
  uint8_t *data;
  size_t len;
  if (get_args(env, info, 3, argv) != 0 || get_fd(env, argv[0], &fd) != 0 || get_bytes(env, argv[1], &data, &len) != 0) {
    THROW(env, "vhost-user: send(fd, Uint8Array, fds?)");
  }
  int fds[MAX_FDS];
  uint32_t nfds = 0;
  bool is_array = false;
  napi_is_array(env, argv[2], &is_array);
  if (is_array) {
    napi_get_array_length(env, argv[2], &nfds);
    if (nfds > MAX_FDS) THROW(env, "vhost-user: too many descriptors");
    for (uint32_t i = 0; i < nfds; i++) {
      napi_value e;
      napi_get_element(env, argv[2], i, &e);
      if (get_fd(env, e, &fds[i]) != 0 || fds[i] < 0) THROW(env, "vhost-user: descriptors must be non-negative integers");
    }
  }
  union {
    char buf[CMSG_SPACE(MAX_FDS * sizeof(int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = {data, len};
  struct msghdr m;
  memset(&m, 0, sizeof m);
  memset(&u, 0, sizeof u);
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  if (nfds > 0) {
    m.msg_control = u.buf;
    m.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
    memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
  }
  ssize_t n = sendmsg(fd, &m, MSG_NOSIGNAL);
  return num(env, n < 0 ? -errno : (double)n);
}

/* close(fd): 0 or -errno. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int fd;
  if (get_args(env, info, 1, argv) != 0 || get_fd(env, argv[0], &fd) != 0) THROW(env, "vhost-user: close(fd)");
  if (fd < 0) return num(env, -EBADF);
  return num(env, close(fd) == 0 ? 0 : -errno);
}

/* eventfd(): a non-blocking eventfd, or -errno. */
static napi_value js_eventfd(napi_env env, napi_callback_info info) {
  (void)info;
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  return num(env, fd < 0 ? -errno : fd);
}

/* eventfdWrite(fd): add 1; 0 or -errno. */
static napi_value js_eventfd_write(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int fd;
  if (get_args(env, info, 1, argv) != 0 || get_fd(env, argv[0], &fd) != 0) THROW(env, "vhost-user: eventfdWrite(fd)");
  uint64_t one = 1;
  if (fd < 0) return num(env, -EBADF);
  return num(env, write(fd, &one, sizeof one) == sizeof one ? 0 : -errno);
}

/* eventfdRead(fd): the counter (reset to 0), or -errno (-EAGAIN when it was 0). */
static napi_value js_eventfd_read(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int fd;
  if (get_args(env, info, 1, argv) != 0 || get_fd(env, argv[0], &fd) != 0) THROW(env, "vhost-user: eventfdRead(fd)");
  uint64_t v;
  if (fd < 0) return num(env, -EBADF);
  return num(env, read(fd, &v, sizeof v) == sizeof v ? (double)v : -errno);
}

/* memfd(size): an anonymous shared-memory file of size bytes (tests play the guest's RAM with it). */
static napi_value js_memfd(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int64_t size;
  if (get_args(env, info, 1, argv) != 0 || get_int(env, argv[0], 0, (int64_t)1 << 40, &size) != 0) THROW(env, "vhost-user: memfd(size)");
  int fd = memfd_create("qco-vhost-user", MFD_CLOEXEC);
  if (fd < 0) return num(env, -errno);
  if (ftruncate(fd, (off_t)size) != 0) {
    int e = errno;
    close(fd);
    return num(env, -e);
  }
  return num(env, fd);
}

/* ----- mappings ----------------------------------------------------------- */

typedef struct Mapping {
  void *addr;
  size_t len;
  int unmapped;
  struct Mapping *next;
} Mapping;

static Mapping *mappings;

static void mapping_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)data;
  Mapping *m = hint;
  if (!m->unmapped) munmap(m->addr, m->len);
  for (Mapping **p = &mappings; *p != NULL; p = &(*p)->next) {
    if (*p == m) {
      *p = m->next;
      break;
    }
  }
  free(m);
}

/* mmap(fd, size, offset): an ArrayBuffer over a MAP_SHARED read-write mapping; throws with the errno text. */
static napi_value js_mmap(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int fd;
  int64_t size, offset;
  if (get_args(env, info, 3, argv) != 0 || get_fd(env, argv[0], &fd) != 0 || get_int(env, argv[1], 1, (int64_t)1 << 44, &size) != 0 ||
      get_int(env, argv[2], 0, (int64_t)1 << 44, &offset) != 0) {
    THROW(env, "vhost-user: mmap(fd, size > 0, offset >= 0)");
  }
  long page = sysconf(_SC_PAGESIZE);
  if (offset % page != 0) THROW(env, "vhost-user: mmap offset is not page aligned");
  if (fd < 0) THROW(env, strerror(EBADF));
  struct stat st;
  /* A mapping past the end of the file would SIGBUS on access: refuse it. */
  if (fstat(fd, &st) != 0) THROW(env, strerror(errno));
  if (S_ISREG(st.st_mode) && (uint64_t)offset + (uint64_t)size > (uint64_t)st.st_size) THROW(env, "vhost-user: region extends past the end of its file");
  Mapping *m = calloc(1, sizeof *m);
  if (m == NULL) THROW(env, "vhost-user: out of memory");
  void *p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)offset);
  if (p == MAP_FAILED) {
    int e = errno;
    free(m);
    THROW(env, strerror(e));
  }
  m->addr = p;
  m->len = (size_t)size;
  napi_value ab;
  if (napi_create_external_arraybuffer(env, p, (size_t)size, mapping_finalize, m, &ab) != napi_ok) {
    munmap(p, (size_t)size);
    free(m);
    THROW(env, "vhost-user: cannot create an external ArrayBuffer");
  }
  m->next = mappings;
  mappings = m;
  return ab;
}

/* munmap(ab): detach the ArrayBuffer (its views become empty), then unmap; false when it is not a live mapping. */
static napi_value js_munmap(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  bool is;
  void *data;
  size_t len;
  napi_value r;
  if (get_args(env, info, 1, argv) != 0) THROW(env, "vhost-user: munmap(ArrayBuffer)");
  if (napi_is_arraybuffer(env, argv[0], &is) != napi_ok || !is) THROW(env, "vhost-user: munmap(ArrayBuffer)");
  if (napi_get_arraybuffer_info(env, argv[0], &data, &len) != napi_ok) THROW(env, "vhost-user: munmap(ArrayBuffer)");
  Mapping *m = NULL;
  for (Mapping *p = mappings; p != NULL; p = p->next) {
    if (p->addr == data && p->len == len && !p->unmapped) m = p;
  }
  if (m == NULL || napi_detach_arraybuffer(env, argv[0]) != napi_ok) {
    napi_get_boolean(env, false, &r);
    return r;
  }
  munmap(m->addr, m->len);
  m->unmapped = 1;
  napi_get_boolean(env, true, &r);
  return r;
}

/* ----- poll handles ------------------------------------------------------- */

/*
 * Readiness reaches JavaScript in batches: libuv reports each ready descriptor
 * of a poll pass on its own, so a watch only joins its environment's queue
 * there, and one check handle (libuv runs check handles right after the poll
 * phase) calls every queued watch's callback inside one callback scope. One
 * entry into JavaScript and one microtask / nextTick drain per pass, however
 * many kicks (and the socket) became readable together, and no async resource
 * made per call.
 */
typedef struct Watch Watch;

typedef struct {
  uv_check_t check;
  napi_env env;
  napi_async_context actx; /* the one async resource of every callback */
  napi_ref resource;       /* its resource object */
  Watch *head;             /* watches that became ready this pass, in order */
  Watch *tail;
  int started;  /* the check handle is active */
  int closed;   /* the environment is going away: the check handle is closed */
  int released; /* libuv is done with the check handle */
  int watches;  /* Watch structs still pointing here */
} Batch;

struct Watch {
  uv_poll_t poll;
  Batch *batch;
  napi_env env;
  napi_ref cb;
  Watch *next; /* in batch->head while queued */
  int fd;
  int drain; /* an eventfd: read it empty before calling back */
  int status;
  int queued;
  int stopped;
  int closed;    /* libuv is done with the handle */
  int finalized; /* the JavaScript handle object is gone */
};

static void batch_maybe_free(Batch *b) {
  if (b->released && b->watches == 0) free(b);
}

static void watch_free(Watch *w) {
  Batch *b = w->batch;
  free(w);
  b->watches--;
  batch_maybe_free(b);
}

static void watch_unqueue(Watch *w) {
  if (!w->queued) return;
  Batch *b = w->batch;
  Watch *prev = NULL;
  for (Watch *p = b->head; p != NULL; prev = p, p = p->next) {
    if (p != w) continue;
    if (prev == NULL) b->head = w->next;
    else prev->next = w->next;
    if (b->tail == w) b->tail = prev;
    break;
  }
  w->next = NULL;
  w->queued = 0;
}

static void watch_closed(uv_handle_t *h) {
  Watch *w = h->data;
  w->closed = 1;
  if (w->finalized) watch_free(w);
}

static void watch_stop(Watch *w) {
  if (w->stopped) return;
  w->stopped = 1;
  watch_unqueue(w);
  uv_poll_stop(&w->poll);
  napi_delete_reference(w->env, w->cb);
  w->cb = NULL;
  uv_close((uv_handle_t *)&w->poll, watch_closed);
}

/* Call every queued watch back, in the order they became ready, inside one callback scope. */
static void batch_run(uv_check_t *h) {
  Batch *b = h->data;
  napi_env env = b->env;
  uv_check_stop(&b->check);
  b->started = 0;
  if (b->head == NULL) return;
  napi_handle_scope hs;
  if (napi_open_handle_scope(env, &hs) != napi_ok) return;
  napi_value resource, global;
  napi_callback_scope cs;
  if (napi_get_reference_value(env, b->resource, &resource) != napi_ok || resource == NULL || napi_get_global(env, &global) != napi_ok ||
      napi_open_callback_scope(env, resource, b->actx, &cs) != napi_ok) {
    napi_close_handle_scope(env, hs);
    return;
  }
  Watch *w;
  /* Taken one at a time: a callback may unwatch (and so unqueue) any other watch. */
  while ((w = b->head) != NULL) {
    b->head = w->next;
    if (b->head == NULL) b->tail = NULL;
    w->next = NULL;
    w->queued = 0;
    napi_value cb, arg, result;
    if (w->stopped || napi_get_reference_value(env, w->cb, &cb) != napi_ok || cb == NULL) continue;
    napi_create_int32(env, w->status, &arg);
    /* The callback may unwatch w: it stays allocated until libuv's close callback, which runs later. */
    if (napi_call_function(env, global, cb, 1, &arg, &result) == napi_pending_exception) {
      napi_value e;
      napi_get_and_clear_last_exception(env, &e);
      napi_fatal_exception(env, e);
    }
  }
  /* Closing the scope drains nextTicks and microtasks once for the whole pass. */
  napi_close_callback_scope(env, cs);
  napi_close_handle_scope(env, hs);
}

static void watch_ready(uv_poll_t *h, int status, int events) {
  (void)events;
  Watch *w = h->data;
  Batch *b = w->batch;
  if (w->stopped || b->closed) return;
  if (w->drain && status == 0) {
    uint64_t v;
    if (read(w->fd, &v, sizeof v) != sizeof v) return; /* spurious: nothing to report */
  }
  if (w->queued) {
    if (status < 0) w->status = status;
    return;
  }
  w->status = status;
  w->queued = 1;
  if (b->tail != NULL) b->tail->next = w;
  else b->head = w;
  b->tail = w;
  if (!b->started && uv_check_start(&b->check, batch_run) == 0) b->started = 1;
}

static void watch_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Watch *w = data;
  watch_stop(w);
  w->finalized = 1;
  if (w->closed) watch_free(w);
}

static void batch_released(uv_handle_t *h) {
  Batch *b = h->data;
  b->released = 1;
  batch_maybe_free(b);
}

/* The environment is going away: no more callbacks; the check handle is closed before its loop. */
static void batch_cleanup(void *arg) {
  Batch *b = arg;
  b->closed = 1;
  while (b->head != NULL) watch_unqueue(b->head);
  if (b->resource != NULL) napi_delete_reference(b->env, b->resource);
  b->resource = NULL;
  uv_check_stop(&b->check);
  uv_close((uv_handle_t *)&b->check, batch_released);
}

/* This environment's batch, made on first use. */
static Batch *env_batch(napi_env env) {
  Batch *b = NULL;
  if (napi_get_instance_data(env, (void **)&b) == napi_ok && b != NULL) return b->closed ? NULL : b;
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return NULL;
  b = calloc(1, sizeof *b);
  if (b == NULL) return NULL;
  napi_value resource, resname;
  if (napi_create_object(env, &resource) != napi_ok || napi_create_string_utf8(env, "qco-vhost-user", NAPI_AUTO_LENGTH, &resname) != napi_ok ||
      napi_create_reference(env, resource, 1, &b->resource) != napi_ok) {
    free(b);
    return NULL;
  }
  if (napi_async_init(env, resource, resname, &b->actx) != napi_ok || uv_check_init(loop, &b->check) != 0) {
    napi_delete_reference(env, b->resource);
    free(b);
    return NULL;
  }
  b->env = env;
  b->check.data = b;
  /* Pending callbacks alone do not keep the process alive; the poll handles do. */
  uv_unref((uv_handle_t *)&b->check);
  if (napi_set_instance_data(env, b, NULL, NULL) != napi_ok || napi_add_env_cleanup_hook(env, batch_cleanup, b) != napi_ok) {
    /* Not reachable from the environment: close it now rather than leave it half set up. */
    batch_cleanup(b);
    return NULL;
  }
  return b;
}

/*
 * watch(fd, cb, drainEventfd?): call cb(status) whenever fd is readable
 * (status < 0 on a poll error); with drainEventfd the eventfd is read first and
 * cb runs only when its counter was non-zero. Calls come after libuv's poll
 * phase, with every other watch that became ready in the same pass. Returns a
 * handle for unwatch.
 */
static napi_value js_watch(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int fd;
  napi_valuetype t;
  bool drain = false;
  if (get_args(env, info, 3, argv) != 0 || get_fd(env, argv[0], &fd) != 0 || fd < 0) THROW(env, "vhost-user: watch(fd >= 0, cb)");
  if (napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) THROW(env, "vhost-user: watch callback must be a function");
  napi_get_value_bool(env, argv[2], &drain);
  struct stat st;
  if (fstat(fd, &st) != 0) THROW(env, strerror(errno));
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) THROW(env, "vhost-user: no event loop");
  Batch *b = env_batch(env);
  if (b == NULL) THROW(env, "vhost-user: cannot set up callbacks in this environment");
  Watch *w = calloc(1, sizeof *w);
  if (w == NULL) THROW(env, "vhost-user: out of memory");
  w->env = env;
  w->fd = fd;
  w->drain = drain;
  if (uv_poll_init(loop, &w->poll, fd) != 0) {
    free(w);
    THROW(env, "vhost-user: cannot poll this descriptor");
  }
  w->batch = b;
  b->watches++;
  w->poll.data = w;
  napi_create_reference(env, argv[1], 1, &w->cb);
  uv_poll_start(&w->poll, UV_READABLE, watch_ready);
  napi_value handle;
  if (napi_create_object(env, &handle) != napi_ok || napi_wrap(env, handle, w, watch_finalize, NULL, NULL) != napi_ok) {
    watch_stop(w);
    w->finalized = 1; /* nothing else will: libuv's close callback frees it */
    THROW(env, "vhost-user: cannot create a watch handle");
  }
  return handle;
}

/* unwatch(handle): stop calling back (idempotent); call it before closing the fd. */
static napi_value js_unwatch(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  Watch *w = NULL;
  napi_valuetype t;
  if (get_args(env, info, 1, argv) != 0 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_object) THROW(env, "vhost-user: unwatch(handle)");
  if (napi_unwrap(env, argv[0], (void **)&w) != napi_ok || w == NULL) THROW(env, "vhost-user: not a watch handle");
  watch_stop(w);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"listen", NULL, js_listen, NULL, NULL, NULL, napi_default, NULL},
      {"connect", NULL, js_connect, NULL, NULL, NULL, napi_default, NULL},
      {"accept", NULL, js_accept, NULL, NULL, NULL, napi_default, NULL},
      {"recv", NULL, js_recv, NULL, NULL, NULL, napi_default, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"eventfd", NULL, js_eventfd, NULL, NULL, NULL, napi_default, NULL},
      {"eventfdWrite", NULL, js_eventfd_write, NULL, NULL, NULL, napi_default, NULL},
      {"eventfdRead", NULL, js_eventfd_read, NULL, NULL, NULL, napi_default, NULL},
      {"memfd", NULL, js_memfd, NULL, NULL, NULL, napi_default, NULL},
      {"mmap", NULL, js_mmap, NULL, NULL, NULL, napi_default, NULL},
      {"munmap", NULL, js_munmap, NULL, NULL, NULL, napi_default, NULL},
      {"watch", NULL, js_watch, NULL, NULL, NULL, napi_default, NULL},
      {"unwatch", NULL, js_unwatch, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
