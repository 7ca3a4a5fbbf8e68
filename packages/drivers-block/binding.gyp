{
  "variables": {
    "have_liburing%": "<!(test -f /usr/include/liburing.h && echo 1 || echo 0)"
  },
  "targets": [
    {
      "target_name": "qco_linux_aio",
      "sources": ["native/linux-aio.c"],
      "defines": ["NAPI_VERSION=8", "<!@(node -p \"require('@qco/native-common/gyp').defines\")"],
      "cflags": ["-O2", "-Wall", "-Wextra", "<!@(node -p \"require('@qco/native-common/gyp').cflags\")"],
      "ldflags": ["<!@(node -p \"require('@qco/native-common/gyp').ldflags\")"],
      "conditions": [
        ["OS!='linux'", { "type": "none", "sources": [] }],
        ["OS=='linux' and have_liburing==1", { "defines": ["QCO_HAVE_LIBURING"], "libraries": ["-luring"] }]
      ]
    },
    {
      "target_name": "qco_file_lock",
      "sources": ["native/file-lock.c"],
      "defines": ["NAPI_VERSION=8", "<!@(node -p \"require('@qco/native-common/gyp').defines\")"],
      "cflags": ["-O2", "-Wall", "-Wextra", "<!@(node -p \"require('@qco/native-common/gyp').cflags\")"],
      "ldflags": ["<!@(node -p \"require('@qco/native-common/gyp').ldflags\")"],
      "conditions": [["OS!='linux'", { "type": "none", "sources": [] }]]
    },
    {
      "target_name": "qco_file_seek",
      "sources": ["native/file-seek.c"],
      "defines": ["NAPI_VERSION=8", "<!@(node -p \"require('@qco/native-common/gyp').defines\")"],
      "cflags": ["-O2", "-Wall", "-Wextra", "<!@(node -p \"require('@qco/native-common/gyp').cflags\")"],
      "ldflags": ["<!@(node -p \"require('@qco/native-common/gyp').ldflags\")"],
      "conditions": [["OS!='linux'", { "type": "none", "sources": [] }]]
    },
    {
      "target_name": "qco_tcp_quickack",
      "sources": ["native/tcp-quickack.c"],
      "defines": ["NAPI_VERSION=8", "<!@(node -p \"require('@qco/native-common/gyp').defines\")"],
      "cflags": ["-O2", "-Wall", "-Wextra", "<!@(node -p \"require('@qco/native-common/gyp').cflags\")"],
      "ldflags": ["<!@(node -p \"require('@qco/native-common/gyp').ldflags\")"],
      "conditions": [["OS!='linux'", { "type": "none", "sources": [] }]]
    },
    {
      "target_name": "qco_vhost_user",
      "sources": ["native/vhost-user.c"],
      "defines": ["NAPI_VERSION=8", "<!@(node -p \"require('@qco/native-common/gyp').defines\")"],
      "cflags": ["-O2", "-Wall", "-Wextra", "<!@(node -p \"require('@qco/native-common/gyp').cflags\")"],
      "ldflags": ["<!@(node -p \"require('@qco/native-common/gyp').ldflags\")"],
      "conditions": [["OS!='linux'", { "type": "none", "sources": [] }]]
    }
  ]
}
