/*
 * The C side of qco's asyncify backend: what a C body compiled into the wasm
 * module may call. Two levels, as in QEMU: a coroutine API among C coroutines
 * (qco_create / qco_enter / qco_yield, test-coroutine.c's vocabulary) and the
 * requests that suspend the whole native call back to the JavaScript coroutine
 * that runs it with `yield* nativeCall(...)` (a plain yield, an fd wait, a
 * sleep, a CoMutex lock). Both may be used from any depth of nested C calls.
 */
#ifndef QCO_ASYNCIFY_H
#define QCO_ASYNCIFY_H

#include <stddef.h>
#include <stdint.h>

typedef struct QcoCtx QcoCtx;

/* A C coroutine body (QEMU's CoroutineEntry). */
typedef void QcoEntry(void *opaque);
/* A native function JavaScript can call by name: numeric arguments, numeric result. */
typedef int32_t QcoNativeFn(const int32_t *args);

/* Actions through a switch (QEMU's CoroutineAction); Threw: the JS step threw. */
enum { QCO_THREW = 0, QCO_YIELD = 1, QCO_TERMINATE = 2, QCO_ENTER = 3 };

/* Errors qco_enter reports instead of aborting (QEMU aborts). */
enum { QCO_OK = 0, QCO_EREENTERED = -1, QCO_ETERMINATED = -2, QCO_ENOMEM = -3 };

/* qemu_coroutine_create, with the default block (16 KiB: 4 KiB asyncify data, 12 KiB stack). */
QcoCtx *qco_create(QcoEntry *entry, void *opaque);
/* qemu_coroutine_create with an explicit asyncify data size and shadow stack size. */
QcoCtx *qco_create_sized(QcoEntry *entry, void *opaque, uint32_t data_size, uint32_t stack_size);
/* qemu_coroutine_enter: run `co` until it yields or ends; a terminated coroutine is freed. */
int qco_enter(QcoCtx *co);
/* qemu_coroutine_yield: back to whoever entered this coroutine (-1 outside one). */
int qco_yield(void);
/* qemu_coroutine_self: the running context (the native call's own root outside C coroutines). */
QcoCtx *qco_self(void);
/* qemu_in_coroutine: whether a C coroutine (not the native call's root) is running. */
int qco_in_coroutine(void);
/* qemu_coroutine_entered. */
int qco_entered(QcoCtx *co);
/* Free a coroutine that was never entered (or ended); no-op on NULL. */
void qco_delete(QcoCtx *co);
/* Number of C coroutines alive (created and not yet terminated or deleted). */
int32_t qco_live(void);

/* Requests to the JavaScript coroutine that runs the native call; each returns what it was resumed with. */
int32_t qco_native_yield(void);
int32_t qco_wait_fd(int32_t fd, int32_t write);
int32_t qco_sleep_ns(double ns);
int32_t qco_mutex_lock(int32_t mutex);
int32_t qco_mutex_unlock(int32_t mutex);

/* Register native functions callable by name from JavaScript (done by qco_register_all). */
void qco_register(const char *name, QcoNativeFn *fn);

#endif
