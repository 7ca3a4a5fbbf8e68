/*
 * How the sigaltstack backend starts a context on its fresh stack, the way
 * QEMU's coroutine-sigaltstack.c does: install the stack as the alternate signal
 * stack, raise a signal whose SA_ONSTACK handler runs there and saves a jmp_buf,
 * put the previous signal state and alternate stack back, then siglongjmp into
 * the saved handler frame, which calls the bootstrap. Every later switch is the
 * shared sigsetjmp/siglongjmp of coroutine.c.
 *
 * The signal is a real-time one that Node and libuv never use, not QEMU's
 * SIGUSR2: a SIGUSR2 sent to the process while our handler is briefly installed
 * would be eaten by it (standard signals do not queue), and a user's
 * process.on('SIGUSR2') listener would miss it. While we wait for our signal,
 * every other signal is blocked, so nothing else runs on the new stack; signals
 * that arrive meanwhile stay pending and reach Node's handlers afterwards.
 * Creation is serialised by a mutex, as in QEMU (the handler finds its context
 * through one shared pointer).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include "qco-internal.h"

const char qco_start_method[] = "sigaltstack";

static pthread_mutex_t create_lock = PTHREAD_MUTEX_INITIALIZER;
static QcoCoroutine *volatile handler_co;
static volatile sig_atomic_t handler_ran;

static int start_signal(void) { return SIGRTMIN + 6; }

static void on_start_signal(int sig) {
  (void)sig;
  QcoCoroutine *volatile co = handler_co;
  if (co == NULL) return;
  /* First time: save this frame (on the new stack) and return from the signal.
   * Second time: reached by siglongjmp once the signal state is restored. */
  if (sigsetjmp(co->boot_env, 0) == 0) {
    handler_ran = 1;
    return;
  }
  qco_bootstrap(co);
}

int qco_start_context(QcoCoroutine *co) {
  int sig = start_signal();
  sigset_t block, old_mask, wait_mask;
  struct sigaction sa, old_sa;
  stack_t ss, old_ss;
  void *fake = NULL;
  int ok = -1;

  pthread_mutex_lock(&create_lock);
  sigemptyset(&block);
  sigaddset(&block, sig);
  pthread_sigmask(SIG_BLOCK, &block, &old_mask);

  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_start_signal;
  sa.sa_flags = SA_ONSTACK;
  sigfillset(&sa.sa_mask);
  if (sigaction(sig, &sa, &old_sa) != 0) goto unmask;

  ss.ss_sp = co->stack_lo;
  ss.ss_size = co->stack_size;
  ss.ss_flags = 0;
  if (sigaltstack(&ss, &old_ss) != 0) goto restore_action;

  handler_co = co;
  handler_ran = 0;
  if (pthread_kill(pthread_self(), sig) != 0) goto restore_stack;
  sigfillset(&wait_mask);
  sigdelset(&wait_mask, sig);
  while (!handler_ran) sigsuspend(&wait_mask);
  ok = 0;

restore_stack:
  /* Disable ours, then put back whatever alternate stack was there. */
  ss.ss_flags = SS_DISABLE;
  sigaltstack(&ss, NULL);
  if (!(old_ss.ss_flags & SS_DISABLE)) sigaltstack(&old_ss, NULL);
restore_action:
  sigaction(sig, &old_sa, NULL);
unmask:
  pthread_sigmask(SIG_SETMASK, &old_mask, NULL);

  if (ok == 0) {
    if (sigsetjmp(*co->boot_return, 0) == 0) {
      qco_asan_start(co, &fake);
      siglongjmp(co->boot_env, 1);
    }
    qco_asan_finish(fake);
  }
  handler_co = NULL;
  pthread_mutex_unlock(&create_lock);
  return ok;
}
