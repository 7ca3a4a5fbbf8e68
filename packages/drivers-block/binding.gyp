{
  "targets": [
    {
      "target_name": "qco_linux_aio",
      "sources": ["native/linux-aio.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "conditions": [["OS!='linux'", { "type": "none", "sources": [] }]]
    }
  ]
}
