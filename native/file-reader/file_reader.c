/*
 * Bitarr's small-file reader: open → fstat → read → hash → fstat → close for one file in one call.
 *
 * The same steps in JavaScript (hash.worker.ts) cost ~5 µs of userland a file beyond the
 * syscalls: five binding calls, two BigIntStats with their Dates, the hasher's own binding calls.
 * On a tree of 200k small files that is about a CPU-second, as much as the kernel's own work.
 * This does only the common case; anything else (not a regular file, larger than the caller's
 * limit) is handed back, and the caller reads it the JavaScript way.
 *
 * Each worker thread binds its own state (an N-API instance data per environment): the read
 * buffer, the hash state and the typed arrays results are written into. Nothing is shared.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <node_api.h>
#define XXH_INLINE_ALL
#include "xxhash.h"

enum algorithm { XXH3_128 = 1, XXH_64 = 2 };
/* Slots of the BigInt64Array results are written into. */
enum slot { SIZE, MTIME_NS, CTIME_NS, INODE, DEV, BYTES_READ, CHANGED, PHASE, MATCHED, SLOTS };
/* Where an errno came from, for the message the caller builds. */
enum phase { PHASE_OPEN = 1, PHASE_FSTAT = 2, PHASE_READ = 3, PHASE_FSTAT_AFTER = 4 };
enum outcome { READ_DONE = 0, NOT_REGULAR = 1, TOO_LARGE = 2 };
#define FINGERPRINT_HEAD 33

typedef struct {
  napi_ref refs[3];
  unsigned char *buffer;
  size_t buffer_length;
  int64_t *out;
  unsigned char *digest;
  int algorithm;
  XXH3_state_t *xxh3;
  XXH64_state_t *xxh64;
} reader_t;

static void reader_free(napi_env env, void *data, void *hint) {
  reader_t *r = data;
  (void)hint;
  for (int i = 0; i < 3; i++)
    if (r->refs[i]) napi_delete_reference(env, r->refs[i]);
  if (r->xxh3) XXH3_freeState(r->xxh3);
  if (r->xxh64) XXH64_freeState(r->xxh64);
  free(r);
}

static napi_value fail(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

static napi_value int_value(napi_env env, int32_t v) {
  napi_value result;
  napi_create_int32(env, v, &result);
  return result;
}

/* bind(algorithm, readBuffer, results: BigInt64Array(SLOTS), digest: Buffer) */
static napi_value bind_reader(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 4) return fail(env, "bind: 4 arguments expected");
  reader_t *r = calloc(1, sizeof *r);
  if (!r) return fail(env, "bind: out of memory");
  void *data;
  size_t length;
  napi_typedarray_type type;
  napi_value arraybuffer;
  size_t offset;
  int32_t algorithm;
  bool ok = napi_get_value_int32(env, argv[0], &algorithm) == napi_ok
    && napi_get_buffer_info(env, argv[1], &data, &length) == napi_ok && length > 0;
  if (ok) {
    r->algorithm = algorithm;
    r->buffer = data;
    r->buffer_length = length;
    ok = napi_get_typedarray_info(env, argv[2], &type, &length, &data, &arraybuffer, &offset) == napi_ok
      && type == napi_bigint64_array && length >= SLOTS;
  }
  if (ok) {
    r->out = data;
    ok = napi_get_buffer_info(env, argv[3], &data, &length) == napi_ok && length >= 16;
  }
  if (ok) {
    r->digest = data;
    if (algorithm == XXH3_128) ok = (r->xxh3 = XXH3_createState()) != NULL;
    else if (algorithm == XXH_64) ok = (r->xxh64 = XXH64_createState()) != NULL;
    else ok = false;
  }
  /* The references keep the buffers alive as long as the raw pointers are used. */
  for (int i = 0; ok && i < 3; i++) ok = napi_create_reference(env, argv[i + 1], 1, &r->refs[i]) == napi_ok;
  /* A second bind in one thread replaces the first; N-API does not finalize replaced data. */
  reader_t *previous = NULL;
  napi_get_instance_data(env, (void **)&previous);
  if (!ok || napi_set_instance_data(env, r, reader_free, NULL) != napi_ok) {
    reader_free(env, r, NULL);
    return fail(env, "bind: expected (1 | 2, Buffer, BigInt64Array, Buffer of 16 bytes)");
  }
  if (previous) reader_free(env, previous, NULL);
  return NULL;
}

static inline int64_t ns(struct timespec t) {
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void put_stat(int64_t *out, const struct stat *st) {
  out[SIZE] = st->st_size;
  out[MTIME_NS] = ns(st->st_mtim);
  out[CTIME_NS] = ns(st->st_ctim);
  out[INODE] = (int64_t)st->st_ino;
  out[DEV] = (int64_t)st->st_dev;
}

static void put_be64(unsigned char *p, uint64_t v) {
  for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (unsigned char)v;
}

/* The baseline fingerprint of baseline-lookup.ts: kind, size, mtime, ctime, inode, then the hash. */
static int matches(const struct stat *st, const unsigned char *digest, size_t digest_length, const unsigned char *expected, size_t expected_length) {
  unsigned char head[FINGERPRINT_HEAD];
  if (expected_length != FINGERPRINT_HEAD + digest_length) return 0;
  head[0] = 0;
  put_be64(head + 1, (uint64_t)st->st_size);
  put_be64(head + 9, (uint64_t)ns(st->st_mtim));
  put_be64(head + 17, (uint64_t)ns(st->st_ctim));
  put_be64(head + 25, (uint64_t)st->st_ino);
  return memcmp(head, expected, FINGERPRINT_HEAD) == 0 && memcmp(digest, expected + FINGERPRINT_HEAD, digest_length) == 0;
}

static size_t finish_digest(reader_t *r) {
  if (r->algorithm == XXH3_128) {
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits_digest(r->xxh3));
    memcpy(r->digest, &c, sizeof c);
    return sizeof c;
  }
  XXH64_canonical_t c;
  XXH64_canonicalFromHash(&c, XXH64_digest(r->xxh64));
  memcpy(r->digest, &c, sizeof c);
  return sizeof c;
}

/*
 * read(path: string | Buffer, flags, expected: Buffer | null, maxSize) → outcome or -errno.
 * READ_DONE: results hold the stats (after the read, unless MATCHED), BYTES_READ and CHANGED;
 * the digest holds the hash. `expected` is the baseline's fingerprint: a read that equals it
 * needs no second fstat (hash.worker.ts says why).
 */
static napi_value read_file(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  reader_t *r;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 4) return fail(env, "read: 4 arguments expected");
  if (napi_get_instance_data(env, (void **)&r) != napi_ok || !r) return fail(env, "read: bind() first");

  char path[PATH_MAX + 1];
  size_t path_length;
  bool is_buffer;
  napi_is_buffer(env, argv[0], &is_buffer);
  if (is_buffer) {
    void *p;
    napi_get_buffer_info(env, argv[0], &p, &path_length);
    if (path_length > PATH_MAX) return int_value(env, -ENAMETOOLONG);
    memcpy(path, p, path_length);
    path[path_length] = 0;
  } else if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &path_length) != napi_ok) {
    return fail(env, "read: the path must be a string or a Buffer");
  } else if (path_length >= PATH_MAX) {
    return int_value(env, -ENAMETOOLONG);
  }
  if (memchr(path, 0, path_length)) return int_value(env, -EINVAL);
  int32_t flags;
  double max_size;
  unsigned char *expected = NULL;
  size_t expected_length = 0;
  napi_valuetype expected_type;
  if (napi_get_value_int32(env, argv[1], &flags) != napi_ok || napi_get_value_double(env, argv[3], &max_size) != napi_ok) return fail(env, "read: flags and maxSize must be numbers");
  napi_typeof(env, argv[2], &expected_type);
  if (expected_type != napi_null && expected_type != napi_undefined && napi_get_buffer_info(env, argv[2], (void **)&expected, &expected_length) != napi_ok) return fail(env, "read: expected must be a Buffer or null");

  int64_t *out = r->out;
  out[PHASE] = 0;
  out[MATCHED] = 0;
  int fd;
  do fd = open(path, flags);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    out[PHASE] = PHASE_OPEN;
    return int_value(env, -errno);
  }
  int result = READ_DONE;
  struct stat before, after;
  if (fstat(fd, &before) < 0) {
    out[PHASE] = PHASE_FSTAT;
    result = -errno;
    goto done;
  }
  if (!S_ISREG(before.st_mode)) {
    result = NOT_REGULAR;
    goto done;
  }
  if ((double)before.st_size > max_size) {
    result = TOO_LARGE;
    goto done;
  }
  if (r->algorithm == XXH3_128) XXH3_128bits_reset(r->xxh3);
  else XXH64_reset(r->xxh64, 0);
  /* Stop at the size fstat gave: it saves a read per file, and growth shows in the second fstat. */
  off_t size = before.st_size, done_bytes = 0;
  while (done_bytes < size) {
    size_t want = (size_t)(size - done_bytes) < r->buffer_length ? (size_t)(size - done_bytes) : r->buffer_length;
    ssize_t n = read(fd, r->buffer, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      out[PHASE] = PHASE_READ;
      result = -errno;
      goto done;
    }
    if (n == 0) break;
    if (r->algorithm == XXH3_128) XXH3_128bits_update(r->xxh3, r->buffer, (size_t)n);
    else XXH64_update(r->xxh64, r->buffer, (size_t)n);
    done_bytes += n;
  }
  size_t digest_length = finish_digest(r);
  out[BYTES_READ] = done_bytes;
  if (expected && done_bytes == size && matches(&before, r->digest, digest_length, expected, expected_length)) {
    put_stat(out, &before);
    out[CHANGED] = 0;
    out[MATCHED] = 1;
    goto done;
  }
  if (fstat(fd, &after) < 0) {
    out[PHASE] = PHASE_FSTAT_AFTER;
    result = -errno;
    goto done;
  }
  put_stat(out, &after);
  out[CHANGED] = before.st_size != after.st_size || ns(before.st_mtim) != ns(after.st_mtim) || ns(before.st_ctim) != ns(after.st_ctim);
done:
  close(fd);
  return int_value(env, result);
}

NAPI_MODULE_INIT() {
  napi_property_descriptor properties[] = {
    { "bind", NULL, bind_reader, NULL, NULL, NULL, napi_default, NULL },
    { "read", NULL, read_file, NULL, NULL, NULL, napi_default, NULL },
  };
  if (napi_define_properties(env, exports, 2, properties) != napi_ok) return NULL;
  return exports;
}
