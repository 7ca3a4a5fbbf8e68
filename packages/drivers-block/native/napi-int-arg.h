/*
 * Integer arguments for the small addons (file-lock.c, file-seek.c,
 * tcp-quickack.c): a JS number that is whole and in range, or a thrown
 * TypeError / RangeError whose message names the addon.
 */
#ifndef QCO_NAPI_INT_ARG_H
#define QCO_NAPI_INT_ARG_H

#include <node_api.h>
#include <stdint.h>
#include <stdio.h>

/* Read argument i as an integer in [lo, hi] into *out; on misuse throw and return 0. */
static inline int napi_int_arg(napi_env env, const char *who, napi_value *argv, size_t argc, size_t i, int64_t lo, int64_t hi,
                               int64_t *out) {
  char msg[96];
  napi_valuetype t;
  double d;
  if (i >= argc || napi_typeof(env, argv[i], &t) != napi_ok || t != napi_number) {
    snprintf(msg, sizeof msg, "%s: expected a number argument", who);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  napi_get_value_double(env, argv[i], &d);
  if (!(d >= (double)lo && d <= (double)hi) || d != (double)(int64_t)d) {
    snprintf(msg, sizeof msg, "%s: argument out of range", who);
    napi_throw_range_error(env, NULL, msg);
    return 0;
  }
  *out = (int64_t)d;
  return 1;
}

#endif
