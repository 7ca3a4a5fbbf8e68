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
#include "napi-int-arg.h"
#include <stdint.h>
#include <sys/types.h>
#include <unistd.h>

static napi_value seek(napi_env env, napi_callback_info info, int whence) {
  size_t argc = 2;
  napi_value argv[2];
  int64_t fd, offset;
  napi_value out;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (!napi_int_arg(env, "file-seek", argv, argc, 0, 0, INT32_MAX, &fd)) return NULL;
  /* Offsets a JavaScript number holds exactly (2^53) cover any file. */
  if (!napi_int_arg(env, "file-seek", argv, argc, 1, 0, (int64_t)1 << 53, &offset)) return NULL;
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
