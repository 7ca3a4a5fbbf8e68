/*
 * The C conformance suite's table (native-suite.c), as each toolchain's runner
 * sees it: the native addons and their AddressSanitizer program run the cases
 * on the calling thread's leader, the asyncify module on a context that plays
 * the leader. A case returns NULL when it passes, else what went wrong.
 */
#ifndef QCO_SUITE_H
#define QCO_SUITE_H

#ifdef __cplusplus
extern "C" {
#endif

typedef const char *QcoCaseFn(void);
typedef struct QcoCase {
  const char *name;
  QcoCaseFn *fn;
} QcoCase;

extern const QcoCase qco_native_cases[];
extern const int qco_native_case_count;

#ifdef __cplusplus
}
#endif
#endif
