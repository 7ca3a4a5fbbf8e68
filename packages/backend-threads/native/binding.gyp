{
  "targets": [
    {
      "target_name": "qco_threads",
      "sources": ["threads.cc"],
      "defines": ["<!@(node -p \"require('@qco/native-common/gyp').defines\")"],
      "cflags_cc": ["-std=c++20", "-O2", "-fno-exceptions", "-Wall", "-Wextra", "-Wno-unused-parameter", "<!@(node -p \"require('@qco/native-common/gyp').cflags\")"],
      "cflags_cc!": ["-std=gnu++17", "-std=gnu++20"],
      "ldflags": ["<!@(node -p \"require('@qco/native-common/gyp').ldflags\")"],
      "libraries": ["-lpthread", "-ldl"]
    }
  ]
}
