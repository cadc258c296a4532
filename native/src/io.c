/* Docker's json-file format, byte for byte (moby daemon/logger/jsonfilelog): one JSON object per
 * line, {"log":"<line incl. \n>","stream":"stdout","time":"<RFC3339Nano UTC>"}; the string escaping
 * of jsonlog's ffjsonWriteJSONBytesAsString (", \, \n, \r escaped; other controls and < > & as
 * \u00XX; invalid UTF-8 as \ufffd; U+2028/2029 escaped); lines cut as docker's copier cuts them;
 * rotation as loggerutils.LogFile does it (before a write, when the file has reached max-size).
 *
 * A log that cannot be written (ENOSPC, EDQUOT, EIO...) never holds the container: the shim keeps
 * draining its pipes, drops the records it cannot write, counts them, notes the outage and the
 * count in its own log when it starts and when it ends, and every later record tries again, so
 * logging resumes by itself once there is space. The file only ever holds whole records: a short
 * write is cut back to the last complete line before anything else is appended. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io.h"

/* worst case: every byte becomes \u00XX, plus the fixed parts */
static char record[LOG_LINE_MAX * 6 + 128];

static size_t put(size_t at, const char *s, size_t n) {
  memcpy(record + at, s, n);
  return at + n;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is invalid. */
static size_t utf8_len(const unsigned char *s, size_t avail, uint32_t *cp) {
  unsigned char c = s[0];
  size_t n;
  uint32_t v;
  if (c >= 0xc2 && c <= 0xdf) n = 2, v = c & 0x1f;
  else if (c >= 0xe0 && c <= 0xef) n = 3, v = c & 0x0f;
  else if (c >= 0xf0 && c <= 0xf4) n = 4, v = c & 0x07;
  else return 0;
  if (avail < n) return 0;
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    v = (v << 6) | (s[i] & 0x3f);
  }
  /* overlong forms, surrogates and values past U+10FFFF are invalid, as Go's decoder says */
  if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10ffff)) || (v >= 0xd800 && v <= 0xdfff)) return 0;
  *cp = v;
  return n;
}

static size_t put_json_string(size_t at, const unsigned char *s, size_t len) {
  static const char hex[] = "0123456789abcdef";
  record[at++] = '"';
  for (size_t i = 0; i < len;) {
    unsigned char b = s[i];
    if (b < 0x80) {
      if (b >= 0x20 && b != '\\' && b != '"' && b != '<' && b != '>' && b != '&') record[at++] = (char)b;
      else if (b == '\\' || b == '"') record[at++] = '\\', record[at++] = (char)b;
      else if (b == '\n') at = put(at, "\\n", 2);
      else if (b == '\r') at = put(at, "\\r", 2);
      else at = put(at, "\\u00", 4), record[at++] = hex[b >> 4], record[at++] = hex[b & 0xf];
      i++;
      continue;
    }
    uint32_t cp = 0;
    size_t n = utf8_len(s + i, len - i, &cp);
    if (n == 0) {
      at = put(at, "\\ufffd", 6);
      i++;
    } else if (cp == 0x2028 || cp == 0x2029) {
      at = put(at, "\\u202", 5);
      record[at++] = hex[cp & 0xf];
      i += n;
    } else {
      at = put(at, (const char *)s + i, n);
      i += n;
    }
  }
  record[at++] = '"';
  return at;
}

/* Go's time.RFC3339Nano in UTC: fractional seconds without trailing zeros, none when zero. */
static size_t format_time(char buf[64]) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  int n = snprintf(buf, 64, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                   tm.tm_min, tm.tm_sec);
  if (ts.tv_nsec != 0) {
    char frac[16];
    snprintf(frac, sizeof frac, ".%09ld", ts.tv_nsec);
    size_t fl = strlen(frac);
    while (frac[fl - 1] == '0') fl--;
    memcpy(buf + n, frac, fl);
    n += (int)fl;
  }
  buf[n++] = 'Z';
  return (size_t)n;
}

static size_t put_time(size_t at) {
  char buf[64];
  size_t n = format_time(buf);
  record[at++] = '"';
  at = put(at, buf, n);
  record[at++] = '"';
  return at;
}

/* One line in the shim's own log (stderr when it has none): the time, the log's path, the text. */
__attribute__((format(printf, 2, 3))) static void note(const struct log_file *log, const char *fmt, ...) {
  char line[4608], when[64];
  size_t wn = format_time(when);
  int n = snprintf(line, sizeof line, "%.*s skiff-shim: log %s: ", (int)wn, when, log->path);
  if (n < 0 || (size_t)n >= sizeof line) return;
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
  va_end(ap);
  if (m < 0) return;
  n = (size_t)(n + m) >= sizeof line ? (int)sizeof line - 1 : n + m;
  line[n++] = '\n';
  int fd = log->note_path ? open(log->note_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600) : 2;
  if (fd < 0) return;
  if (write(fd, line, (size_t)n) < 0) { /* nowhere left to tell */ }
  if (fd != 2) close(fd);
}

/* Appends one record whole or not at all; 0 or the errno. A short write is cut back to the last
 * whole record; while even that fails, nothing more is appended (log->torn). */
static int append(struct log_file *log, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t w = write(log->fd, record + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      int err = w < 0 ? errno : EIO;
      if (done > 0 && ftruncate(log->fd, (off_t)log->size)) log->torn = 1;
      return err;
    }
    done += (size_t)w;
  }
  log->size += n;
  return 0;
}

int log_open(struct log_file *log, const char *path, uint64_t max_size, uint32_t max_files) {
  log->path = path;
  log->max_size = max_size;
  log->max_files = max_files ? max_files : 1;
  log->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (log->fd < 0) return -1;
  struct stat st;
  log->size = fstat(log->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
  /* a record torn by a crash (power loss) is cut off: the next one must start a line */
  size_t tail = log->size < sizeof record ? (size_t)log->size : sizeof record;
  if (tail > 0 && pread(log->fd, record, tail, (off_t)(log->size - tail)) == (ssize_t)tail && record[tail - 1] != '\n') {
    char *nl = memrchr(record, '\n', tail);
    log->size -= tail - (nl ? (size_t)(nl - record) + 1 : 0);
    log->torn = ftruncate(log->fd, (off_t)log->size) != 0;
  }
  return 0;
}

/* path.N-2 -> path.N-1 ... path -> path.1, then a fresh path; with max-file 1 the file is truncated.
 * 0 or the errno. What is written is never lost to a failed step: a failed rename leaves the file
 * in place (it grows past max-size until a later rotation succeeds); when the new file cannot be
 * created, records go on into the renamed one and later rotations only retry the create. The shift
 * starts at the lowest missing path.K, so a retry after a partial shift fills that hole instead of
 * dropping one more old file. */
static int rotate(struct log_file *log) {
  char from[4200], to[4200];
  if (!log->renamed && log->max_files > 1) {
    uint32_t top = 1;
    for (; top < log->max_files - 1; top++) {
      snprintf(to, sizeof to, "%s.%u", log->path, top);
      if (access(to, F_OK)) break;
    }
    for (uint32_t i = top; i >= 1; i--) {
      if (i == 1) snprintf(from, sizeof from, "%s", log->path);
      else snprintf(from, sizeof from, "%s.%u", log->path, i - 1);
      snprintf(to, sizeof to, "%s.%u", log->path, i);
      if (rename(from, to) && errno != ENOENT) return errno;
    }
    log->renamed = 1;
  }
  int fd = open(log->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return errno;
  close(log->fd);
  log->fd = fd;
  log->size = 0;
  log->renamed = 0;
  return 0;
}

static void log_record(struct log_file *log, enum io_stream stream, const char *data, size_t len, int newline) {
  if (log->fd < 0 || (len == 0 && !newline)) return;
  static const char *names[] = {"stdin", "stdout", "stderr"};
  size_t at = put(0, "{\"log\":", 7);
  /* the line and its '\n' are escaped as one string */
  at = put_json_string(at, (const unsigned char *)data, len);
  if (newline) at -= 1, at = put(at, "\\n\"", 3);
  at = put(at, ",\"stream\":\"", 11);
  at = put(at, names[stream], strlen(names[stream]));
  at = put(at, "\",\"time\":", 9);
  at = put_time(at);
  at = put(at, "}\n", 2);
  int err = log->torn && ftruncate(log->fd, (off_t)log->size) ? errno : 0;
  if (!err) log->torn = 0;
  if (!err && log->max_size > 0 && log->size >= log->max_size) {
    int rerr = rotate(log);
    if (rerr && !log->rotate_failing)
      note(log, "cannot rotate: %s; writing on to %s%s", strerror(rerr), log->path, log->renamed ? ".1" : "");
    log->rotate_failing = rerr;
  }
  if (!err) err = append(log, at);
  if (err) {
    if (!log->failing) note(log, "cannot write: %s; dropping records until it can be written", strerror(err));
    log->failing = err;
    log->lost++;
    log->lost_bytes += len + (newline ? 1 : 0);
    log->lost_total++;
  } else if (log->failing) {
    note(log, "writing again; %llu records (%llu bytes of output) were dropped", (unsigned long long)log->lost,
         (unsigned long long)log->lost_bytes);
    log->failing = 0;
    log->lost = log->lost_bytes = 0;
  }
}

void log_feed(struct log_file *log, struct line_buf *lb, enum io_stream stream, const char *data, size_t len) {
  while (len > 0) {
    size_t take = sizeof lb->data - lb->len;
    if (take > len) take = len;
    memcpy(lb->data + lb->len, data, take);
    lb->len += take;
    data += take;
    len -= take;
    size_t start = 0;
    char *nl;
    while ((nl = memchr(lb->data + start, '\n', lb->len - start)) != NULL) {
      size_t end = (size_t)(nl - lb->data);
      log_record(log, stream, lb->data + start, end - start, 1);
      start = end + 1;
    }
    if (start == 0 && lb->len == sizeof lb->data) {
      log_record(log, stream, lb->data, lb->len, 0);
      lb->len = 0;
    } else if (start > 0) {
      memmove(lb->data, lb->data + start, lb->len - start);
      lb->len -= start;
    }
  }
}

void log_flush(struct log_file *log, struct line_buf *lb, enum io_stream stream) {
  log_record(log, stream, lb->data, lb->len, 0);
  lb->len = 0;
}

void log_close(struct log_file *log) {
  if (log->fd < 0) return;
  if (log->failing)
    note(log, "%llu records (%llu bytes of output) were dropped; the container exited before they could be written",
         (unsigned long long)log->lost, (unsigned long long)log->lost_bytes);
  close(log->fd);
  log->fd = -1;
}

void frame_header(uint8_t out[8], enum io_stream stream, uint32_t len) {
  out[0] = (uint8_t)stream;
  out[1] = out[2] = out[3] = 0;
  out[4] = (uint8_t)(len >> 24);
  out[5] = (uint8_t)(len >> 16);
  out[6] = (uint8_t)(len >> 8);
  out[7] = (uint8_t)len;
}
