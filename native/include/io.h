/* The shim's container I/O: docker's json-file log writer (line splitting, escaping, rotation) and
 * the framing of attach streams. Used only by the long-lived shim (P), never after clone. */
#ifndef SKIFF_IO_H
#define SKIFF_IO_H

#include <stddef.h>
#include <stdint.h>

/* docker's copier: lines are cut at '\n'; 16 KiB without one is logged as a partial line. */
#define LOG_LINE_MAX 16384

enum io_stream { STREAM_STDIN = 0, STREAM_STDOUT = 1, STREAM_STDERR = 2 };

struct log_file {
  int fd;                 /* -1: no log */
  const char *path;
  uint64_t max_size;      /* 0: never rotate */
  uint32_t max_files;     /* files kept in all, the live one included (docker's max-file) */
  uint64_t size;          /* bytes of whole records in the file fd writes */
  const char *note_path;  /* the shim's own log, where lost records are noted; NULL: stderr */
  /* A full disk (or any write error) never blocks the container: the record is dropped and counted,
   * the file keeps only whole records, and every later record tries again. */
  int failing;            /* errno of the ongoing write failure; 0 while records are written */
  int torn;               /* a short write could not be cut back yet: nothing is appended until it is */
  int renamed;            /* rotation renamed the file (to path.1) but could not create a new one */
  int rotate_failing;     /* errno of the ongoing rotation failure (noted once) */
  uint64_t lost, lost_bytes; /* records (bytes of output) dropped in the ongoing failure */
  uint64_t lost_total;    /* records dropped since the log was opened */
};

struct line_buf {
  char data[LOG_LINE_MAX];
  size_t len;
};

/* Opens (appending) the log; 0 or -1 with errno. */
int log_open(struct log_file *log, const char *path, uint64_t max_size, uint32_t max_files);
/* Feeds bytes of one stream; complete lines and full buffers become log records. */
void log_feed(struct log_file *log, struct line_buf *lb, enum io_stream stream, const char *data, size_t len);
/* Logs what is left in the buffer as a partial line (at EOF). */
void log_flush(struct log_file *log, struct line_buf *lb, enum io_stream stream);
/* Notes records still lost (the container exited while its log could not be written) and closes. */
void log_close(struct log_file *log);

/* docker's stdcopy header for a frame of `len` bytes of `stream`. */
void frame_header(uint8_t out[8], enum io_stream stream, uint32_t len);

#endif
