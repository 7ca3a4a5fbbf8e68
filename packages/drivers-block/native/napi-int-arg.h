/*
 * Integer and descriptor arguments for the small addons (file-lock.c, file-seek.c,
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

/* A call whose one argument is a file descriptor: read it into *fd; on misuse throw and return 0. */
static inline int napi_fd_call(napi_env env, napi_callback_info info, const char *who, int *fd) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t v;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (!napi_int_arg(env, who, argv, argc, 0, 0, INT32_MAX, &v)) return 0;
  *fd = (int)v;
  return 1;
}

#endif
