/* Docker's json-file format, byte for byte (moby daemon/logger/jsonfilelog): one JSON object per
 * line, {"log":"<line incl. \n>","stream":"stdout","time":"<RFC3339Nano UTC>"}; the string escaping
 * of jsonlog's ffjsonWriteJSONBytesAsString (", \, \n, \r escaped; other controls and < > & as
 * \u00XX; invalid UTF-8 as \ufffd; U+2028/2029 escaped); lines cut as docker's copier cuts them;
 * rotation as loggerutils.LogFile does it (before a write, when the file has reached max-size). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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
static size_t put_time(size_t at) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  char buf[64];
  int n = snprintf(buf, sizeof buf, "\"%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                   tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (ts.tv_nsec != 0) {
    char frac[16];
    snprintf(frac, sizeof frac, ".%09ld", ts.tv_nsec);
    size_t fl = strlen(frac);
    while (frac[fl - 1] == '0') fl--;
    memcpy(buf + n, frac, fl);
    n += (int)fl;
  }
  memcpy(buf + n, "Z\"", 2);
  return put(at, buf, (size_t)n + 2);
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int log_open(struct log_file *log, const char *path, uint64_t max_size, uint32_t max_files) {
  log->path = path;
  log->max_size = max_size;
  log->max_files = max_files ? max_files : 1;
  log->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (log->fd < 0) return -1;
  struct stat st;
  log->size = fstat(log->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
  return 0;
}

/* path.N-2 → path.N-1 … path → path.1, then a fresh path; with max-file 1 the file is truncated. */
static void rotate(struct log_file *log) {
  char from[4200], to[4200];
  for (uint32_t i = log->max_files - 1; i >= 1; i--) {
    if (i == 1) snprintf(from, sizeof from, "%s", log->path);
    else snprintf(from, sizeof from, "%s.%u", log->path, i - 1);
    snprintf(to, sizeof to, "%s.%u", log->path, i);
    if (rename(from, to) && errno != ENOENT) return;
  }
  int fd = open(log->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return;
  close(log->fd);
  log->fd = fd;
  log->size = 0;
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
  if (log->max_size > 0 && log->size >= log->max_size) rotate(log);
  if (write_all(log->fd, record, at) == 0) log->size += at;
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

void frame_header(uint8_t out[8], enum io_stream stream, uint32_t len) {
  out[0] = (uint8_t)stream;
  out[1] = out[2] = out[3] = 0;
  out[4] = (uint8_t)(len >> 24);
  out[5] = (uint8_t)(len >> 16);
  out[6] = (uint8_t)(len >> 8);
  out[7] = (uint8_t)len;
}
