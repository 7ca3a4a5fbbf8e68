/*
 * lseek(SEEK_DATA / SEEK_HOLE) for the file driver's block status (what
 * QEMU's file-posix find_allocation asks the kernel): Node's fs has no
 * lseek. seekData(fd, offset) and seekHole(fd, offset) return the offset the
 * kernel found, or -errno (-ENXIO: no data / no hole at or after offset;
 * -EINVAL or -EOPNOTSUPP: the file system cannot tell). Arguments of the
 * wrong kind throw a TypeError / RangeError instead of reaching lseek.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <node_api.h>
#include <stdint.h>
#include <sys/types.h>
#include <unistd.h>

/* Read argument i as an integer in [0, hi]; throws and returns 0 on misuse. */
static int get_uint(napi_env env, napi_value *argv, size_t argc, size_t i, double hi, int64_t *out) {
  napi_valuetype t;
  double d;
  if (i >= argc || napi_typeof(env, argv[i], &t) != napi_ok || t != napi_number) {
    napi_throw_type_error(env, NULL, "file-seek: expected a number argument");
    return 0;
  }
  napi_get_value_double(env, argv[i], &d);
  if (!(d >= 0 && d <= hi) || d != (double)(int64_t)d) {
    napi_throw_range_error(env, NULL, "file-seek: argument out of range");
    return 0;
  }
  *out = (int64_t)d;
  return 1;
}

static napi_value seek(napi_env env, napi_callback_info info, int whence) {
  size_t argc = 2;
  napi_value argv[2];
  int64_t fd, offset;
  napi_value out;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (!get_uint(env, argv, argc, 0, INT32_MAX, &fd)) return NULL;
  /* Offsets a JavaScript number holds exactly (2^53) cover any file. */
  if (!get_uint(env, argv, argc, 1, 9007199254740992.0, &offset)) return NULL;
  off_t r = lseek((int)fd, (off_t)offset, whence);
  napi_create_double(env, r < 0 ? (double)-errno : (double)r, &out);
  return out;
}

/* seekData(fd, offset): the start of the first data at or after offset, or -errno. */
static napi_value seek_data(napi_env env, napi_callback_info info) { return seek(env, info, SEEK_DATA); }

/* seekHole(fd, offset): the start of the first hole at or after offset (the end of the file counts as one), or -errno. */
static napi_value seek_hole(napi_env env, napi_callback_info info) { return seek(env, info, SEEK_HOLE); }

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"seekData", NULL, seek_data, NULL, NULL, NULL, napi_enumerable, NULL},
      {"seekHole", NULL, seek_hole, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
