/*
 * The functions JavaScript may run on a native context, by name: whatever C
 * code registered with qco_register_function (a consumer's addon through the
 * API table below, the test build's demo functions), in registration order. The
 * table is what a consumer's addon calls through: its own copy of qco.h's names
 * resolves to these entries, so the addon needs no link-time dependency on the
 * backend's.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "qco-internal.h"

/* Process-wide (every thread's addon instance shares it). Entries are allocated one by one and never
 * freed, so an entry a suspended context points at stays valid while the list grows. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static QcoRoutine **registry;
static int count, cap;

static int add(const char *name, QcoFunction *fn);

int qco_register_function(const char *name, QcoFunction *fn) {
  if (name == NULL || fn == NULL || name[0] == '\0') return -1;
  pthread_mutex_lock(&lock);
  int r = add(name, fn);
  pthread_mutex_unlock(&lock);
  return r;
}

static int add(const char *name, QcoFunction *fn) {
  for (int i = 0; i < count; i++)
    if (strcmp(registry[i]->name, name) == 0) return registry[i]->fn == fn ? 0 : -2; /* same pair again is fine */
  if (count == cap) {
    int n = cap ? cap * 2 : 16;
    QcoRoutine **r = realloc(registry, (size_t)n * sizeof *r);
    if (r == NULL) return -3;
    registry = r;
    cap = n;
  }
  QcoRoutine *entry = malloc(sizeof *entry);
  char *copy = strdup(name);
  if (entry == NULL || copy == NULL) {
    free(entry);
    free(copy);
    return -3;
  }
  entry->name = copy;
  entry->fn = fn;
  registry[count++] = entry;
  return 0;
}

int qco_function_count(void) {
  pthread_mutex_lock(&lock);
  int n = count;
  pthread_mutex_unlock(&lock);
  return n;
}

const QcoRoutine *qco_function_at(int index) {
  pthread_mutex_lock(&lock);
  const QcoRoutine *r = index >= 0 && index < count ? registry[index] : NULL;
  pthread_mutex_unlock(&lock);
  return r;
}

const QcoApi qco_api_table = {
    .version = QCO_API_VERSION,
    .create = qco_create,
    .enter = qco_enter,
    .yield = qco_yield,
    .self = qco_self,
    .in_coroutine = qco_in_coroutine,
    .entered = qco_entered,
    .wait_fd = qco_wait_fd,
    .sleep_ns = qco_sleep_ns,
    .mutex_lock = qco_mutex_lock,
    .mutex_unlock = qco_mutex_unlock,
    .register_function = qco_register_function,
};
