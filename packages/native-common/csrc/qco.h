/*
 * qco's C coroutine API: what C code running on a native context of the
 * native-ucontext or sigaltstack backend may call. A C function yields with
 * qco_yield() from any depth of nested calls; when it was started from
 * JavaScript (`yield* nativeCall(...)`), each wait below becomes a request the
 * JavaScript core serves (AioContext fd handler, timer, CoMutex) before it
 * resumes the context with the result.
 */
#ifndef QCO_H
#define QCO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct QcoCoroutine QcoCoroutine;

/* A C coroutine body (QEMU's CoroutineEntry). */
typedef void QcoEntry(void *opaque);

/* Readiness a native fd wait asks for. */
enum { QCO_FD_READ = 1, QCO_FD_WRITE = 2 };

/* Create a coroutine that runs entry(opaque) when entered; NULL when out of memory. */
QcoCoroutine *qco_create(QcoEntry *entry, void *opaque);
/* Run co until it yields or ends; its context goes back to the pool when it ends.
 * Returns 0, or -1 (and does nothing) when co is already entered. */
int qco_enter(QcoCoroutine *co);
/* Give control back to whoever entered the running coroutine; returns the
 * value it is resumed with (0 for a plain re-entry). -1 when not in a coroutine. */
double qco_yield(void);
/* The running coroutine, or this thread's leader outside any. */
QcoCoroutine *qco_self(void);
/* Whether a coroutine is running on this thread. */
int qco_in_coroutine(void);
/* Whether co is entered and has not yielded since. */
int qco_entered(QcoCoroutine *co);

/* Waits served by the JavaScript core; valid in a function started from JavaScript.
 * Each returns the value the core resumes it with (0, or an errno-style negative). */
double qco_wait_fd(int fd, int events);
double qco_sleep_ns(int64_t ns);
void qco_mutex_lock(int mutex);
void qco_mutex_unlock(int mutex);

#ifdef __cplusplus
}
#endif
#endif
