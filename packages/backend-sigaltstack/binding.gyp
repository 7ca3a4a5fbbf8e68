{
  "targets": [
    {
      "target_name": "qco_sigaltstack",
      "sources": [
        "csrc/start-sigaltstack.c",
        "<!@(node -p \"require('@qco/native-common/gyp').sources\")"
      ],
      "include_dirs": ["<!@(node -p \"require('@qco/native-common/gyp').include\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "QCO_RUNTIME", "<!@(node -p \"require('@qco/native-common/gyp').defines\")"],
      "cflags": ["-O2", "-U_FORTIFY_SOURCE", "-fno-strict-aliasing", "<!@(node -p \"require('@qco/native-common/gyp').cflags\")"],
      "cflags_cc": ["-O2", "-U_FORTIFY_SOURCE", "-std=c++17", "<!@(node -p \"require('@qco/native-common/gyp').cflags\")"],
      "ldflags": ["<!@(node -p \"require('@qco/native-common/gyp').ldflags\")"]
    }
  ]
}
