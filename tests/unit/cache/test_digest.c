/*
 * test_digest.c: cache/digest.c — a large module file's digest is
 * remembered by device and inode and reused only while its size, mtime and
 * ctime are unchanged; a file changed moments ago is not remembered.
 */
#include "fake.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

TestSuite(cache_digest, .init = fk_setup, .fini = fk_teardown);

#define BIG (WK_STAMP_MIN + 123)

static void write_file(const char *path, size_t n, uint8_t seed) {
  uint8_t *b = malloc(n);
  cr_assert_not_null(b);
  for (size_t i = 0; i < n; i++)
    b[i] = (uint8_t)(i * 31u + seed);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  cr_assert_geq(fd, 0);
  cr_assert_eq(write(fd, b, n), (ssize_t)n);
  close(fd);
  free(b);
}

/* wk_file_digest of path, and the plain SHA-256 of its bytes. */
static void digests(wk_cache *c, const char *path, uint8_t got[32],
                    uint8_t want[32]) {
  int fd = open(path, O_RDONLY);
  cr_assert_geq(fd, 0);
  struct stat st;
  cr_assert_eq(fstat(fd, &st), 0);
  void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  cr_assert_neq(p, MAP_FAILED);
  wk_file_digest(c, fd, p, (size_t)st.st_size, got);
  wa_sha256_once(p, (size_t)st.st_size, want);
  munmap(p, (size_t)st.st_size);
  close(fd);
}

static void record_path(const char *file, char *out, size_t n) {
  struct stat st;
  cr_assert_eq(stat(file, &st), 0);
  snprintf(out, n, "%s/digests/%" PRIx64 "-%" PRIx64, fk_cache_dir,
           (uint64_t)st.st_dev, (uint64_t)st.st_ino);
}

Test(cache_digest, a_settled_large_file_is_remembered_and_a_fresh_one_not) {
  wk_cache *c = fk_open(0);
  char file[PATH_MAX], rec[PATH_MAX];
  snprintf(file, sizeof file, "%s/m.wasm", fk_dir);
  write_file(file, BIG, 1);
  record_path(file, rec, sizeof rec);
  uint8_t got[32], want[32];
  digests(c, file, got, want);
  cr_assert_eq(memcmp(got, want, 32), 0);
  cr_assert_neq(access(rec, F_OK), 0, "a file changed just now was remembered");
  sleep(3); /* past the settling time */
  digests(c, file, got, want);
  cr_assert_eq(memcmp(got, want, 32), 0);
  cr_assert_eq(access(rec, F_OK), 0, "a settled file was not remembered");
  struct stat st;
  cr_assert_eq(stat(rec, &st), 0);
  cr_assert_eq(st.st_mode & 0777, 0600);

  /* Forge the record's digest: a hit proves the record is what is used. */
  FILE *f = fopen(rec, "r+");
  cr_assert_not_null(f);
  char line[256];
  cr_assert_not_null(fgets(line, sizeof line, f));
  char *hex = strrchr(line, ' ') + 1;
  hex[0] = hex[0] == 'a' ? 'b' : 'a';
  rewind(f);
  fputs(line, f);
  fclose(f);
  digests(c, file, got, want);
  cr_assert_neq(memcmp(got, want, 32), 0, "the record was not used");

  /* Any write to the module makes the record stale. */
  int fd = open(file, O_WRONLY);
  cr_assert_eq(pwrite(fd, "x", 1, 100), 1);
  close(fd);
  digests(c, file, got, want);
  cr_assert_eq(memcmp(got, want, 32), 0, "a stale record was trusted");

  /* A record that is not private is ignored. */
  sleep(3);
  digests(c, file, got, want); /* remembered again */
  f = fopen(rec, "r+");
  cr_assert_not_null(fgets(line, sizeof line, f));
  hex = strrchr(line, ' ') + 1;
  hex[0] = hex[0] == 'a' ? 'b' : 'a';
  rewind(f);
  fputs(line, f);
  fclose(f);
  cr_assert_eq(chmod(rec, 0644), 0);
  digests(c, file, got, want);
  cr_assert_eq(memcmp(got, want, 32), 0, "a world-readable record was used");
  wk_close(c);
}

Test(cache_digest, small_files_are_just_hashed) {
  wk_cache *c = fk_open(0);
  char file[PATH_MAX], rec[PATH_MAX];
  snprintf(file, sizeof file, "%s/s.wasm", fk_dir);
  write_file(file, 4096, 2);
  struct timespec old[2] = {{1000000, 0}, {1000000, 0}};
  cr_assert_eq(utimensat(AT_FDCWD, file, old, 0), 0);
  sleep(3);
  uint8_t got[32], want[32];
  digests(c, file, got, want);
  cr_assert_eq(memcmp(got, want, 32), 0);
  record_path(file, rec, sizeof rec);
  cr_assert_neq(access(rec, F_OK), 0, "a small file was remembered");
  digests(NULL, file, got, want); /* no cache: plain hash */
  cr_assert_eq(memcmp(got, want, 32), 0);
  wk_close(c);
}
