/* The json-file writer (src/io.c) on a full filesystem. Needs root: it mounts small tmpfs instances
 * in a private mount namespace (they go with the process) and prints "skipped" without it.
 *   - a full disk drops records (counted, noted once when it starts and once when it ends), leaves
 *     only whole lines in the file (a short write is cut back), and logging resumes once there is
 *     space;
 *   - a rotation whose new file cannot be created (no inode left) keeps writing into the renamed
 *     file, does not shift the rotated files again, and creates the new file once it can;
 *   - a rotation whose rename fails keeps the live file; the next one fills the hole a partial
 *     shift leaves; a torn last line is cut off at open.
 * Build and run: make -C native --eval='build/log-write-test: tests/log-write-test.c src/io.c ;
 * $(CC) $(CFLAGS) -o $@ $^' build/log-write-test && native/build/log-write-test */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"

static int failures;
static char base[64], mnt[128];

#define CHECK(cond, ...)                                                                                               \
  do {                                                                                                                 \
    if (!(cond)) {                                                                                                     \
      failures++;                                                                                                      \
      printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                                                           \
      printf(__VA_ARGS__);                                                                                             \
      putchar('\n');                                                                                                   \
    }                                                                                                                  \
  } while (0)

static char *slurp(const char *path, size_t *len) {
  *len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  struct stat st;
  char *buf = fstat(fd, &st) == 0 ? malloc((size_t)st.st_size + 1) : NULL;
  ssize_t n = buf ? read(fd, buf, (size_t)st.st_size) : -1;
  close(fd);
  if (n < 0) {
    free(buf);
    return NULL;
  }
  buf[n] = 0;
  *len = (size_t)n;
  return buf;
}

/* Checks that a file holds only whole records `{"log":"line N …\n",…}` with N increasing from
 * where the previous file ended (*next: the N expected next, or -1: any). Returns the records read. */
static int check_file(const char *path, int *next, int contiguous) {
  size_t len;
  char *buf = slurp(path, &len);
  if (!buf) return 0;
  CHECK(len == 0 || buf[len - 1] == '\n', "%s ends in a torn line", path);
  int count = 0;
  for (char *line = buf, *nl; line < buf + len && (nl = memchr(line, '\n', (size_t)(buf + len - line))); line = nl + 1) {
    *nl = 0;
    int n = -1, used = 0;
    size_t ll = (size_t)(nl - line);
    int whole = sscanf(line, "{\"log\":\"line %d %*[x]\\n\",\"stream\":\"stdout\",\"time\":\"%*[0-9T:.Z-]\"}%n", &n, &used) == 1 &&
                (size_t)used == ll;
    CHECK(whole, "%s: not a whole record: %.120s", path, line);
    if (!whole) break;
    if (*next >= 0) CHECK(contiguous ? n == *next : n >= *next, "%s: line %d where %d was next", path, n, *next);
    *next = n + 1;
    count++;
  }
  free(buf);
  return count;
}

static void feed(struct log_file *log, struct line_buf *lb, int from, int to) {
  char line[256];
  for (int i = from; i < to; i++) {
    int n = snprintf(line, sizeof line, "line %d %.*s\n", i, 90, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    log_feed(log, lb, STREAM_STDOUT, line, (size_t)n);
  }
}

static void mount_tmpfs(const char *opts) {
  umount2(mnt, MNT_DETACH);
  if (mount("tmpfs", mnt, "tmpfs", 0, opts)) {
    printf("FAIL mount tmpfs %s: %s\n", opts, strerror(errno));
    exit(1);
  }
}

static int count_in(const char *text, const char *what) {
  int n = 0;
  for (const char *p = text; p && (p = strstr(p, what)); p++) n++;
  return n;
}

static void full_disk(void) {
  mount_tmpfs("size=64k");
  char path[256], filler[256], notes[256];
  snprintf(path, sizeof path, "%s/c-json.log", mnt);
  snprintf(filler, sizeof filler, "%s/filler", mnt);
  snprintf(notes, sizeof notes, "%s/shim.log", base);
  static struct log_file log;
  static struct line_buf lb;
  log = (struct log_file){.note_path = notes};
  CHECK(log_open(&log, path, 0, 1) == 0, "open: %s", strerror(errno));
  feed(&log, &lb, 0, 20);
  int fd = open(filler, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  static char zeros[4096];
  while (write(fd, zeros, sizeof zeros) > 0) {}
  close(fd);
  feed(&log, &lb, 20, 400);
  CHECK(log.failing == ENOSPC, "failing is %d", log.failing);
  CHECK(log.lost > 300 && log.lost == log.lost_total, "%llu records lost", (unsigned long long)log.lost);
  int next = 0;
  int kept = check_file(path, &next, 0);
  CHECK(kept >= 20 && kept < 100, "%d records kept", kept);
  unlink(filler);
  feed(&log, &lb, 400, 420);
  CHECK(log.failing == 0 && log.lost == 0 && log.lost_total > 300, "still failing: %d", log.failing);
  next = 0;
  check_file(path, &next, 0);
  CHECK(next == 420, "the last record is line %d", next - 1);
  size_t len;
  char *text = slurp(notes, &len);
  CHECK(text && count_in(text, "cannot write: No space left on device") == 1 && count_in(text, "writing again; ") == 1,
        "notes: %s", text ? text : "(none)");
  free(text);
  log_close(&log);
  unlink(notes);
}

static void check_notes(const char *notes, const char *what) {
  size_t len;
  char *text = slurp(notes, &len);
  CHECK(text && count_in(text, what) == 1 && count_in(text, "\n") == 1, "notes: %s", text ? text : "(none)");
  free(text);
  unlink(notes);
}

static void rotation_without_inodes(void) {
  mount_tmpfs("size=1m,nr_inodes=6");
  char path[256], rotated[300], notes[256];
  snprintf(path, sizeof path, "%s/c-json.log", mnt);
  snprintf(notes, sizeof notes, "%s/shim.log", base);
  static struct log_file log;
  static struct line_buf lb;
  log = (struct log_file){.note_path = notes};
  CHECK(log_open(&log, path, 1000, 4) == 0, "open: %s", strerror(errno));
  feed(&log, &lb, 0, 12); /* one rotation: c-json.log.1 and c-json.log */
  int made = 0;
  for (;; made++) {
    char p[300];
    snprintf(p, sizeof p, "%s/inode%d", mnt, made);
    int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) break;
    close(fd);
  }
  CHECK(made > 0, "no inode to use up");
  feed(&log, &lb, 12, 60); /* the next rotation renames but cannot create c-json.log */
  CHECK(access(path, F_OK) != 0 && log.renamed && log.rotate_failing == ENOSPC, "renamed %d, rotation errno %d", log.renamed,
        log.rotate_failing);
  CHECK(log.lost_total == 0, "%llu records lost", (unsigned long long)log.lost_total);
  snprintf(rotated, sizeof rotated, "%s.3", path);
  CHECK(access(rotated, F_OK) != 0, "the rotated files were shifted again");
  char p[300];
  snprintf(p, sizeof p, "%s/inode0", mnt);
  unlink(p);
  feed(&log, &lb, 60, 64);
  CHECK(access(path, F_OK) == 0 && !log.renamed && log.rotate_failing == 0, "no new file after an inode was freed");
  int next = 0;
  for (int k = 3; k >= 0; k--) {
    if (k) snprintf(rotated, sizeof rotated, "%s.%d", path, k);
    check_file(k ? rotated : path, &next, 1);
  }
  CHECK(next == 64, "the last record is line %d", next - 1);
  log_close(&log);
  check_notes(notes, "cannot rotate: No space left on device; writing on to ");
}

static void rename_fails_and_torn_tail(void) {
  mount_tmpfs("size=1m");
  char path[256], dir1[300], inner[320], notes[256];
  snprintf(path, sizeof path, "%s/c-json.log", mnt);
  snprintf(notes, sizeof notes, "%s/shim.log", base);
  snprintf(dir1, sizeof dir1, "%s.1", path);
  snprintf(inner, sizeof inner, "%s/x", dir1);
  /* a torn last record (a crash mid-write) is cut off at open */
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
  const char *old = "{\"log\":\"line 0 xx\\n\",\"stream\":\"stdout\",\"time\":\"2026-01-01T00:00:00Z\"}\n{\"log\":\"line 1 x";
  CHECK(write(fd, old, strlen(old)) == (ssize_t)strlen(old), "write");
  close(fd);
  /* path.1 is a directory that is not empty: renaming the live file onto it fails */
  mkdir(dir1, 0700);
  close(open(inner, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  static struct log_file log;
  static struct line_buf lb;
  log = (struct log_file){.note_path = notes};
  CHECK(log_open(&log, path, 1000, 2) == 0, "open: %s", strerror(errno));
  feed(&log, &lb, 1, 30);
  CHECK(log.rotate_failing == EISDIR && log.lost_total == 0, "rotation errno %d", log.rotate_failing);
  int next = 0;
  CHECK(check_file(path, &next, 1) == 30, "records after the torn one");
  unlink(inner);
  rmdir(dir1);
  feed(&log, &lb, 30, 32);
  next = 0;
  check_file(dir1, &next, 1);
  check_file(path, &next, 1);
  CHECK(next == 32 && log.rotate_failing == 0, "the last record is line %d", next - 1);
  log_close(&log);
  check_notes(notes, "cannot rotate: Is a directory; writing on to ");
}

/* A partial shift (a rename failed) leaves a hole among the rotated files: the next rotation fills it
 * rather than dropping the oldest file once more. */
static void rotation_fills_a_hole(void) {
  mount_tmpfs("size=1m");
  char path[256], p[300];
  snprintf(path, sizeof path, "%s/c-json.log", mnt);
  const int files[] = {4, 3, 1, 0}; /* c-json.log.2 is missing */
  for (int k = 0; k < 4; k++) {
    if (files[k]) snprintf(p, sizeof p, "%s.%d", path, files[k]);
    int fd = open(files[k] ? p : path, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
    char rec[160];
    int n = snprintf(rec, sizeof rec, "{\"log\":\"line %d x\\n\",\"stream\":\"stdout\",\"time\":\"2026-01-01T00:00:00Z\"}\n", k);
    CHECK(write(fd, rec, (size_t)n) == n, "write");
    close(fd);
  }
  static struct log_file log;
  static struct line_buf lb;
  log = (struct log_file){0};
  CHECK(log_open(&log, path, 1000, 5) == 0, "open: %s", strerror(errno));
  feed(&log, &lb, 4, 12);
  int next = 0;
  for (int k = 4; k >= 0; k--) {
    if (k) snprintf(p, sizeof p, "%s.%d", path, k);
    CHECK(check_file(k ? p : path, &next, 1) > 0, "no records in %s", k ? p : path);
  }
  CHECK(next == 12, "the last record is line %d", next - 1);
  log_close(&log);
}

int main(void) {
  if (geteuid() != 0) {
    printf("log-write-test: skipped (needs root to mount a tmpfs)\n");
    return 0;
  }
  snprintf(base, sizeof base, "/tmp/skiff-log-test-XXXXXX");
  if (!mkdtemp(base) || snprintf(mnt, sizeof mnt, "%s/mnt", base) < 0 || mkdir(mnt, 0700) || unshare(CLONE_NEWNS) ||
      mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
    printf("FAIL set-up: %s\n", strerror(errno));
    return 1;
  }
  full_disk();
  rotation_without_inodes();
  rename_fails_and_torn_tail();
  rotation_fills_a_hole();
  umount2(mnt, MNT_DETACH);
  rmdir(mnt);
  rmdir(base);
  printf("log-write-test: %s\n", failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
