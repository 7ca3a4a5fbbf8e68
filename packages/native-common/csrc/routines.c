/*
 * Test builds only: demo C functions JavaScript can run on a native context (`yield* nativeCall(name,
 * args)`). They are real users of the C API: non-blocking I/O that yields to the
 * event loop when it would block (the seeds' "submit, then yield until the
 * completion handler wakes me" pattern of block/ssh.c and linux-aio), a sleep, a
 * CoMutex-protected critical section, and yields from deep nested C calls.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include "qco-internal.h"

/* yield_n(n): yield n times, return n. */
static double yield_n(const QcoArg *a, int n) {
  (void)n;
  int count = (int)a[0].number;
  for (int i = 0; i < count; i++) qco_yield();
  return count;
}

/* Nested C calls that keep their frames (no tail calls): yield at the bottom. */
static int __attribute__((noinline)) nest(int depth, int yields, volatile int *trail) {
  volatile char frame[64];
  frame[0] = (char)depth;
  if (depth > 0) return nest(depth - 1, yields, trail) + frame[0];
  for (int i = 0; i < yields; i++) {
    qco_yield();
    (*trail)++;
  }
  return 0;
}

/* nested_yield(depth, yields): returns depth*(depth+1)/2 + yields, proving the frames survived. */
static double nested_yield(const QcoArg *a, int n) {
  (void)n;
  volatile int trail = 0;
  int sum = nest((int)a[0].number, (int)a[1].number, &trail);
  return sum + trail;
}

/* Nested calls inside a C coroutine of the call that wait at the bottom: each wait suspends the whole call. */
static int __attribute__((noinline)) wait_deep(int depth, int waits) {
  volatile int mine = depth;
  int r = 0;
  if (depth > 0) {
    r = wait_deep(depth - 1, waits);
  } else {
    for (int i = 0; i < waits; i++)
      if (qco_wait_fd(-1, QCO_FD_READ) < 0) return -100000;
  }
  return r + mine;
}
struct relay {
  int depth, waits, sum;
};
static void relay_body(void *opaque) {
  struct relay *r = opaque;
  r->sum = wait_deep(r->depth, r->waits);
}

/* nested_wait(depth, waits): a C coroutine the call entered waits (fd -1) `waits` times from `depth` calls down; the sum of depths. */
static double nested_wait(const QcoArg *a, int n) {
  (void)n;
  struct relay r = {(int)a[0].number, (int)a[1].number, -1};
  QcoCoroutine *co = qco_create(relay_body, &r);
  if (co == NULL) return -3;
  if (qco_enter(co) != 0) return -2;
  return r.sum;
}

static void yield_forever(void *opaque) {
  (void)opaque;
  for (;;) qco_yield();
}

/* spawn_suspended(n, yields): leave n C coroutines suspended, then yield `yields` times to JavaScript;
 * the coroutines end with the call (as on asyncify), whether it returns or is cancelled. */
static double spawn_suspended(const QcoArg *a, int nargs) {
  (void)nargs;
  int n = (int)a[0].number;
  for (int i = 0; i < n; i++) {
    QcoCoroutine *co = qco_create(yield_forever, NULL);
    if (co == NULL || qco_enter(co) != 0) return -1;
  }
  for (int i = 0; i < (int)a[1].number; i++) qco_yield();
  return n;
}

/* Recurse until the guard page (for the overflow report). */
static int __attribute__((noinline)) dive(int depth) {
  volatile char frame[1024];
  frame[0] = (char)depth;
  if (depth > (1 << 30)) return frame[0]; /* never: a 1 KiB frame per level hits the guard page first */
  return dive(depth + 1) + frame[0];
}

static double overflow_stack(const QcoArg *a, int n) {
  (void)a;
  (void)n;
  return dive(0);
}

static int set_nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return -errno;
  if (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return -errno;
  return 0;
}

/* Read fd to EOF without blocking, waiting through the AioContext when it would block. */
static double read_fd(int fd, int want_sum) {
  unsigned char buf[4096];
  double count = 0, sum = 0;
  int r = set_nonblocking(fd);
  if (r < 0) return r;
  for (;;) {
    ssize_t got = read(fd, buf, sizeof buf);
    if (got > 0) {
      count += (double)got;
      for (ssize_t i = 0; i < got; i++) sum += buf[i];
    } else if (got == 0) {
      return want_sum ? sum : count;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      double w = qco_wait_fd(fd, QCO_FD_READ);
      if (w < 0) return w;
    } else if (errno != EINTR) {
      return -errno;
    }
  }
}

/* fd_read_count(fd): bytes read until EOF (negative errno on error). */
static double fd_read_count(const QcoArg *a, int n) {
  (void)n;
  return read_fd((int)a[0].number, 0);
}

/* fd_read_sum(fd): sum of the bytes read until EOF. */
static double fd_read_sum(const QcoArg *a, int n) {
  (void)n;
  return read_fd((int)a[0].number, 1);
}

/* fd_write_pattern(fd, nbytes): write bytes i % 251 without blocking; returns bytes written. */
static double fd_write_pattern(const QcoArg *a, int n) {
  (void)n;
  int fd = (int)a[0].number;
  size_t total = (size_t)a[1].number, done = 0;
  unsigned char buf[4096];
  int r = set_nonblocking(fd);
  if (r < 0) return r;
  while (done < total) {
    size_t len = total - done < sizeof buf ? total - done : sizeof buf;
    for (size_t i = 0; i < len; i++) buf[i] = (unsigned char)((done + i) % 251);
    ssize_t put = write(fd, buf, len);
    if (put > 0) {
      done += (size_t)put;
    } else if (put < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      double w = qco_wait_fd(fd, QCO_FD_WRITE);
      if (w < 0) return w;
    } else if (put < 0 && errno != EINTR) {
      return -errno;
    }
  }
  return (double)done;
}

/* sleep_ns(ns): sleep through the AioContext's timers; returns what the wait returned. */
static double sleep_ns(const QcoArg *a, int n) {
  (void)n;
  return qco_sleep_ns((int64_t)a[0].number);
}

/* A counter only touched under a CoMutex: a lost update shows a broken lock. */
static double shared_counter;

/* locked_increment(mutex, yields): lock, read, yield `yields` times, write +1, unlock; returns the new value. */
static double locked_increment(const QcoArg *a, int n) {
  (void)n;
  qco_mutex_lock((int)a[0].number);
  double seen = shared_counter;
  for (int i = 0; i < (int)a[1].number; i++) qco_yield();
  shared_counter = seen + 1;
  qco_mutex_unlock((int)a[0].number);
  return shared_counter;
}

/* counter_reset(): zero the shared counter. */
static double counter_reset(const QcoArg *a, int n) {
  (void)a;
  (void)n;
  shared_counter = 0;
  return 0;
}

/* self_id(): the running context's id, and whether it is in a coroutine (id*2+1). */
static double self_id(const QcoArg *a, int n) {
  (void)a;
  (void)n;
  return qco_self()->id * 2 + qco_in_coroutine();
}

static const QcoRoutine demo[] = {
    {"yield_n", yield_n},
    {"nested_yield", nested_yield},
    {"nested_wait", nested_wait},
    {"spawn_suspended", spawn_suspended},
    {"overflow_stack", overflow_stack},
    {"fd_read_count", fd_read_count},
    {"fd_read_sum", fd_read_sum},
    {"fd_write_pattern", fd_write_pattern},
    {"sleep_ns", sleep_ns},
    {"locked_increment", locked_increment},
    {"counter_reset", counter_reset},
    {"self_id", self_id},
};

/* Test builds register these beside whatever a consumer registers. */
void qco_register_test_functions(void) {
  for (size_t i = 0; i < sizeof demo / sizeof demo[0]; i++) qco_register_function(demo[i].name, demo[i].fn);
}

int qco_poll_fd(int fd, int events) {
  struct pollfd p = {.fd = fd, .events = (short)((events & QCO_FD_READ ? POLLIN : 0) | (events & QCO_FD_WRITE ? POLLOUT : 0))};
  int r = poll(&p, 1, 0);
  if (r < 0) return -errno;
  return r > 0 && (p.revents & (p.events | POLLHUP | POLLERR)) ? 1 : 0;
}
