/*
 * The native suite as a plain program, for AddressSanitizer: the same cases and
 * contexts as the addon runs, without Node in the process (whose own code is not
 * instrumented). Exit status 0 when every case passes.
 */
#include <stdio.h>
#include <stdlib.h>
#include "qco-internal.h"
#include "qco-suite.h"

int main(void) {
  int failed = 0;
  qco_overflow_check_enable();
  for (int round = 0; round < 2; round++) {
    for (int i = 0; i < qco_native_case_count; i++) {
      const char *err = qco_native_cases[i].fn();
      qco_pool_trim(64);
      printf("%s %s%s%s\n", err ? "not ok" : "ok", qco_native_cases[i].name, err ? ": " : "", err ? err : "");
      if (err) failed++;
    }
  }
  if (qco_perf("yield", 100000) < 0 || qco_perf("lifecycle", 10000) < 0 || qco_perf("cost", 10000) < 0 || qco_perf("create-fresh", 200) < 0) {
    printf("not ok perf loops\n");
    failed++;
  } else {
    printf("ok perf loops (%s)\n", qco_start_method);
  }
  qco_pool_trim(0);
  return failed ? 1 : 0;
}
