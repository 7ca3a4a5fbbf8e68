/*
 * TCP_QUICKACK for the NBD client's handshake: Node's net has setNoDelay but
 * no way to ask the kernel to acknowledge at once. A server that writes one
 * option reply in two pieces without TCP_NODELAY (qemu-nbd 7.2 does) holds the
 * second piece back until the first is acknowledged, and Linux delays that
 * acknowledgement by 40 ms while the exchange looks interactive: twice per
 * connection with qemu-nbd. quickAck(fd) asks for the next acknowledgements to
 * go out immediately (the kernel falls back to delaying them by itself later);
 * it returns 0 or -errno, and an argument that is not a descriptor number
 * throws instead of reaching setsockopt.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <node_api.h>
#include <sys/socket.h>
#include "napi-int-arg.h"

/* quickAck(fd): 0, or -errno (-ENOTSOCK, -EBADF, -ENOPROTOOPT for a non-TCP socket). */
static napi_value quick_ack(napi_env env, napi_callback_info info) {
  int fd, one = 1;
  napi_value out;
  if (!napi_fd_call(env, info, "tcp-quickack", &fd)) return NULL;
  int r = setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
  napi_create_int32(env, r < 0 ? -errno : 0, &out);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"quickAck", NULL, quick_ack, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
