{
  "targets": [
    {
      "target_name": "qco_sigaltstack",
      "sources": [
        "csrc/start-sigaltstack.c",
        "<!@(node -p \"require('@qco/native-common/gyp').sources\")"
      ],
      "include_dirs": ["<!@(node -p \"require('@qco/native-common/gyp').include\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags": ["-O2", "-U_FORTIFY_SOURCE", "-fno-strict-aliasing"],
      "cflags_cc": ["-O2", "-U_FORTIFY_SOURCE", "-std=c++17"]
    }
  ]
}
