/*
 * Coroutine stacks: one anonymous mapping per context with a PROT_NONE guard page
 * below the usable part, so running off the end faults instead of corrupting a
 * neighbour. An optional SIGSEGV handler (debug mode), running on an alternate
 * signal stack because the faulting stack is exhausted, turns a fault in the
 * running coroutine's guard page into a report naming the coroutine; any other
 * fault goes on to the handler that was there before (V8's WebAssembly trap
 * handler, or the default action).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "qco-internal.h"

static size_t stack_size = 1 << 20; /* QEMU's COROUTINE_STACK_SIZE */

size_t qco_stack_size_get(void) { return stack_size; }

void qco_stack_size_set(size_t size) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  if (size < 16 * 1024) size = 16 * 1024;
  stack_size = (size + page - 1) & ~(page - 1);
}

int qco_stack_alloc(QcoCoroutine *co, size_t size) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t total = size + page;
  char *map = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (map == MAP_FAILED) return -1;
  if (mprotect(map, page, PROT_NONE) != 0) {
    munmap(map, total);
    return -1;
  }
  co->map = map;
  co->map_size = total;
  co->stack_lo = map + page;
  co->stack_size = size;
  co->asan_bottom = co->stack_lo;
  co->asan_size = size;
  return 0;
}

void qco_stack_free(QcoCoroutine *co) {
  if (co->map != NULL) munmap(co->map, co->map_size);
  co->map = NULL;
  co->stack_lo = NULL;
}

/* --- guard-page overflow reports ------------------------------------------------ */

static struct sigaction previous_segv;
static int overflow_installed;
static char *overflow_altstack;

static void say(const char *s) {
  ssize_t r = write(2, s, strlen(s));
  (void)r;
}

static void say_num(unsigned long v, int base) {
  char buf[32];
  int i = (int)sizeof buf;
  buf[--i] = 0;
  do {
    buf[--i] = "0123456789abcdef"[v % (unsigned)base];
    v /= (unsigned)base;
  } while (v != 0 && i > 0);
  say(buf + i);
}

static void on_segv(int sig, siginfo_t *info, void *uctx) {
  QcoCoroutine *co = qco_self();
  char *addr = (char *)info->si_addr;
  if (co != qco_leader() && co->map != NULL && addr >= co->map - 65536 && addr < co->stack_lo) {
    say("qco: coroutine #");
    say_num((unsigned long)co->id, 10);
    if (co->kind == QCO_BODY_ROUTINE && co->routine != NULL) {
      say(" (native function ");
      say(co->routine->name);
      say(")");
    }
    say(" overflowed its stack of ");
    say_num((unsigned long)co->stack_size, 10);
    say(" bytes (fault at 0x");
    say_num((unsigned long)addr, 16);
    say(" in its guard page)\n");
    signal(SIGABRT, SIG_DFL);
    abort();
  }
  /* Not ours: hand it to whoever handled SIGSEGV before us. */
  if (previous_segv.sa_flags & SA_SIGINFO) {
    if (previous_segv.sa_sigaction != NULL) {
      previous_segv.sa_sigaction(sig, info, uctx);
      return;
    }
  } else if (previous_segv.sa_handler != SIG_DFL && previous_segv.sa_handler != SIG_IGN) {
    previous_segv.sa_handler(sig);
    return;
  }
  signal(SIGSEGV, SIG_DFL); /* the fault repeats and takes the default action */
}

int qco_overflow_check_enable(void) {
  if (overflow_installed) return 0;
  stack_t cur;
  if (sigaltstack(NULL, &cur) != 0) return -1;
  if (cur.ss_flags & SS_DISABLE) {
    size_t size = 64 * 1024;
    overflow_altstack = malloc(size);
    if (overflow_altstack == NULL) return -1;
    stack_t ss = {.ss_sp = overflow_altstack, .ss_size = size, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0) return -1;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGSEGV, &sa, &previous_segv) != 0) return -1;
  overflow_installed = 1;
  return 0;
}
