/*
 * Open-file-description byte-range locks for the file driver's image locking
 * (the mechanism of QEMU's qemu_lock_fd / qemu_lock_fd_test). Node's fs has no
 * fcntl, so three calls are exposed: setLock (F_OFD_SETLK with a read, write
 * or unlock type), testLock (F_OFD_GETLK: is there a conflicting lock held
 * through another open file description?) and available (does this kernel
 * take OFD locks at all?). OFD locks belong to the open file description, not
 * to the process, so two descriptors of one process exclude each other just
 * as two processes do, and closing an unrelated descriptor of the same file
 * drops nothing. Results are 0 or -errno; arguments of the wrong kind throw a
 * TypeError/RangeError instead of reaching fcntl.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include "napi-int-arg.h"
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define KIND_UNLOCK 0
#define KIND_READ 1
#define KIND_WRITE 2

static napi_value make_int(napi_env env, int32_t v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

/* Shared argument checks of setLock / testLock: (fd, start, len, kind). */
static int get_lock_args(napi_env env, napi_callback_info info, int *fd, struct flock *fl, int64_t kind_hi, int64_t *kind) {
  size_t argc = 4;
  napi_value argv[4];
  int64_t v_fd, v_start, v_len;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  /* Offsets are what JavaScript numbers hold exactly (2^53), which covers any file. */
  if (!napi_int_arg(env, "file-lock", argv, argc, 0, 0, INT32_MAX, &v_fd)) return 0;
  if (!napi_int_arg(env, "file-lock", argv, argc, 1, 0, (int64_t)1 << 53, &v_start)) return 0;
  if (!napi_int_arg(env, "file-lock", argv, argc, 2, 0, (int64_t)1 << 53, &v_len)) return 0;
  if (!napi_int_arg(env, "file-lock", argv, argc, 3, 0, kind_hi, kind)) return 0;
  memset(fl, 0, sizeof *fl);
  fl->l_whence = SEEK_SET;
  fl->l_start = (off_t)v_start;
  fl->l_len = (off_t)v_len;
  fl->l_pid = 0; /* required by F_OFD_* */
  *fd = (int)v_fd;
  return 1;
}

/* setLock(fd, start, len, kind): kind 0 unlock, 1 read (shared), 2 write; 0 or -errno (-EAGAIN / -EACCES: held elsewhere). */
static napi_value set_lock(napi_env env, napi_callback_info info) {
  int fd;
  int64_t kind;
  struct flock fl;
  if (!get_lock_args(env, info, &fd, &fl, KIND_WRITE, &kind)) return NULL;
  fl.l_type = kind == KIND_UNLOCK ? F_UNLCK : kind == KIND_READ ? F_RDLCK : F_WRLCK;
  int ret;
  do {
    ret = fcntl(fd, F_OFD_SETLK, &fl);
  } while (ret == -1 && errno == EINTR);
  return make_int(env, ret == -1 ? -errno : 0);
}

/* testLock(fd, start, len, exclusive): 0 when a lock of that kind could be taken, -EAGAIN when another description holds a conflicting one, else -errno. */
static napi_value test_lock(napi_env env, napi_callback_info info) {
  int fd;
  int64_t exclusive;
  struct flock fl;
  if (!get_lock_args(env, info, &fd, &fl, 1, &exclusive)) return NULL;
  fl.l_type = exclusive ? F_WRLCK : F_RDLCK;
  int ret;
  do {
    ret = fcntl(fd, F_OFD_GETLK, &fl);
  } while (ret == -1 && errno == EINTR);
  if (ret == -1) return make_int(env, -errno);
  return make_int(env, fl.l_type == F_UNLCK ? 0 : -EAGAIN);
}

/* available(fd): whether F_OFD_GETLK works on this descriptor (EINVAL: the kernel has no OFD locks). */
static napi_value available(napi_env env, napi_callback_info info) {
  int fd;
  napi_value out;
  if (!napi_fd_call(env, info, "file-lock", &fd)) return NULL;
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_whence = SEEK_SET;
  fl.l_type = F_WRLCK;
  int ret = fcntl(fd, F_OFD_GETLK, &fl);
  napi_get_boolean(env, !(ret == -1 && errno == EINVAL), &out);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"setLock", NULL, set_lock, NULL, NULL, NULL, napi_enumerable, NULL},
      {"testLock", NULL, test_lock, NULL, NULL, NULL, napi_enumerable, NULL},
      {"available", NULL, available, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
