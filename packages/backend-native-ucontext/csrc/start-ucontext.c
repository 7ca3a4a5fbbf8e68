/*
 * How the native-ucontext backend starts a context on its fresh stack, the way
 * QEMU's coroutine-ucontext.c does: getcontext/makecontext point a ucontext at
 * the new stack and the bootstrap, one swapcontext runs it there, and the
 * bootstrap comes back with siglongjmp. Every later switch is the shared
 * sigsetjmp/siglongjmp of coroutine.c; ucontext is used only this once per stack.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <ucontext.h>
#include "qco-internal.h"

const char qco_start_method[] = "ucontext";

/* makecontext passes int arguments only: the pointer travels in two halves. */
static void entry_point(unsigned int lo, unsigned int hi) {
  uintptr_t p = ((uintptr_t)hi << 32) | (uintptr_t)lo;
  qco_bootstrap((QcoCoroutine *)p);
}

int qco_start_context(QcoCoroutine *co) {
  ucontext_t here, there;
  void *fake = NULL;
  if (getcontext(&there) != 0) return -1;
  there.uc_link = NULL;
  there.uc_stack.ss_sp = co->stack_lo;
  there.uc_stack.ss_size = co->stack_size;
  there.uc_stack.ss_flags = 0;
  uintptr_t p = (uintptr_t)co;
  makecontext(&there, (void (*)(void))entry_point, 2, (unsigned int)(p & 0xffffffffu), (unsigned int)(p >> 32));
  if (sigsetjmp(*co->boot_return, 0) == 0) {
    qco_asan_start(co, &fake);
    swapcontext(&here, &there);
  }
  qco_asan_finish(fake);
  return 0;
}
