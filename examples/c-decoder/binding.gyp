{
  "targets": [
    {
      "target_name": "qco_example_decoder",
      "sources": ["csrc/hex-decoder.c"],
      "include_dirs": ["<!(node -p \"require('@qco/native-common/gyp').includeDir\")"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-O2", "-Wall", "-Wextra", "<!@(node -p \"require('@qco/native-common/gyp').cflags\")"],
      "ldflags": ["<!@(node -p \"require('@qco/native-common/gyp').ldflags\")"]
    }
  ]
}
