{
  "targets": [
    {
      "target_name": "file_reader",
      "sources": ["file_reader.c"],
      "include_dirs": ["../../node_modules/xxhash-addon/xxHash"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
