/*
 * What the asyncify runtime (runtime.c) offers the C compiled into the
 * backend's own module beyond the public qco.h: coroutines with explicit
 * sizes, the count of live C coroutines, and a context for a conformance case.
 */
#ifndef QCO_ASYNCIFY_INTERNAL_H
#define QCO_ASYNCIFY_INTERNAL_H

#include <qco.h>

/* qco_create with an explicit asyncify data size and shadow stack size. */
QcoCoroutine *qco_create_sized(QcoEntry *entry, void *opaque, uint32_t data_size, uint32_t stack_size);
/* Number of C coroutines alive (created and not yet terminated). */
int32_t qco_live(void);
/* A context that runs `fn` in the leader's place (not in a coroutine, nothing to yield to); run it with qco_run. */
QcoCoroutine *qco_case_start(const char *(*fn)(void), uint32_t data_size, uint32_t stack_size);
/* What the case run by `ctx` returned (NULL: passed). */
const char *qco_case_result(QcoCoroutine *ctx);

#endif
