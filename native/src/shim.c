/* skiff-shim: process P. It receives a launch plan from TypeScript on the control fd, clones the
 * intermediate child (C1), which clones the container's init (C2) as P's own child, relays the
 * children's sync points to TypeScript, and then either exits (create mode) or stays as the monitor
 * of the container (foreground `run`, or the detached per-container shim of skiffd): reaps, relays
 * the pty, records the exit status, serves wait/kill on a path socket. As skiffd's shim it also owns
 * the container's stdio (P_IO): pipes or the pty master, docker's json-file log (io.c), attach
 * streams with backpressure (a slow client holds the container's output, as docker's attach does),
 * stdin, resize.
 *
 * Usage: skiff-shim <control-fd>. The plan arrives on the control fd as u32 length + plan bytes. */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "io.h"
#include "ops.h"

extern char **environ;

enum p_mode { MODE_CREATE = 0, MODE_FOREGROUND = 1, MODE_SHIM = 2 };

#define MAX_CLIENTS 32
#define IO_CHUNK 65536

/* P_IO flags, as the planner writes them */
#define IO_STDIN 1u        /* the container's stdin is a pipe the shim writes */
#define IO_STDIN_ONCE 2u   /* the first attached stdin client closing closes the container's stdin */
#define IO_PIPES 4u        /* stdout and stderr are pipes the shim reads */

/* MSG_ATTACH flags */
#define ATTACH_STDIN 1
#define ATTACH_STDOUT 2
#define ATTACH_STDERR 4
#define ATTACH_FRAMED 8    /* docker's stdcopy frames (no tty); raw bytes otherwise */

struct client {
  int fd;
  int waiting;             /* wants MSG_EXITED */
  int attach;              /* ATTACH_* once attached; the connection is then a byte stream */
  int read_closed;         /* the client shut down its sending side */
  char *pend;              /* output not yet accepted by the client (backpressure) */
  size_t pend_len, pend_off;
};

struct shim {
  int control;          /* stream to TypeScript; -1 once closed */
  int sync;             /* P's end of the SEQPACKET socket to the children; -1 once exec'd */
  uint32_t mode;
  int relay_console;
  const char *exit_file;
  const char *control_path;
  int listen_fd;
  pid_t c1, c2;
  int master;           /* pty master when relaying */
  int master_hup;       /* every slave fd is closed: stop polling the master for output */
  int exited;
  int status;
  int execed_told;
  struct client clients[MAX_CLIENTS];
  /* P_IO */
  uint32_t io_flags;
  int child_fds[3];     /* the container's ends of the pipes, closed in P after clone */
  int out_fd[3];        /* P's ends: [0] stdin (write), [1] stdout, [2] stderr (read); -1 when none */
  char stdin_pend[IO_CHUNK];
  size_t stdin_len, stdin_off;
  struct log_file log;
  struct line_buf lines[3];
};

static void die(const char *what) {
  dprintf(2, "skiff-shim: %s: %s\n", what, strerror(errno));
  _exit(2);
}

/* CVE-2019-5736: never let a container see a writable host binary through /proc/<pid>/exe. P runs
 * from a sealed memfd copy of itself, so every child (C1, C2 before execve) does too. */
static void ensure_sealed_self(char **argv) {
  char exe[64] = {0};
  if (readlink("/proc/self/exe", exe, sizeof exe - 1) > 0 && strncmp(exe, "/memfd:", 7) == 0) return;
  int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (src < 0) die("open /proc/self/exe");
  struct stat st;
  if (fstat(src, &st)) die("fstat /proc/self/exe");
  int mfd = memfd_create("skiff-shim", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0) die("memfd_create");
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n = sendfile(mfd, src, &off, (size_t)(st.st_size - off));
    if (n <= 0) die("copy self to memfd");
  }
  close(src);
  if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL)) die("seal memfd");
  syscall(SYS_execveat, mfd, "", argv, environ, AT_EMPTY_PATH);
  die("execveat memfd");
}

static int read_full(int fd, void *buf, size_t len) {
  size_t got = 0;
  while (got < len) {
    ssize_t n = read(fd, (char *)buf + got, len - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    got += (size_t)n;
  }
  return 0;
}

static int write_full(int fd, const void *buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = write(fd, (const char *)buf + done, len - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    done += (size_t)n;
  }
  return 0;
}

static void tell(struct shim *s, uint32_t kind, int32_t a, int32_t b, int32_t c) {
  if (s->control < 0) return;
  struct msg m = {kind, a, b, c};
  if (write_full(s->control, &m, sizeof m)) {
    close(s->control);
    s->control = -1;
  }
}

static int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

static void write_exit_file(const char *path, int status) {
  char tmp[4096], text[32];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) return;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  int n = snprintf(text, sizeof text, "%d\n", status);
  if (write_full(fd, text, (size_t)n) == 0 && fsync(fd) == 0) {
    close(fd);
    rename(tmp, path);
    return;
  }
  close(fd);
  unlink(tmp);
}

static int listen_on(const char *path) {
  struct sockaddr_un sa = {0};
  sa.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof sa.sun_path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  strcpy(sa.sun_path, path);
  unlink(path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) || chmod(path, 0600) || listen(fd, 16)) return -1;
  return fd;
}

/* Copies what is readable on `from` to `to`; returns -1 on EOF or error of `from`. */
static int pump(int from, int to) {
  char buf[65536];
  ssize_t n = read(from, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 0;
  if (n <= 0) return -1;
  write_full(to, buf, (size_t)n);
  return 0;
}

static void resize_from_stdin(int master) {
  struct winsize ws;
  if (ioctl(0, TIOCGWINSZ, &ws) == 0) ioctl(master, TIOCSWINSZ, &ws);
}

static void close_client(struct client *c) {
  close(c->fd);
  free(c->pend);
  *c = (struct client){.fd = -1};
}

static int backpressured(struct shim *s) {
  for (int i = 0; i < MAX_CLIENTS; i++)
    if (s->clients[i].fd >= 0 && s->clients[i].pend_len > s->clients[i].pend_off) return 1;
  return 0;
}

/* Sends what a client has pending without blocking; a client that went away is dropped. */
static void flush_client(struct client *c) {
  while (c->pend_off < c->pend_len) {
    ssize_t n = send(c->fd, c->pend + c->pend_off, c->pend_len - c->pend_off, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      close_client(c);
      return;
    }
    c->pend_off += (size_t)n;
  }
  c->pend_len = c->pend_off = 0;
}

/* One chunk of the container's output: to the log, then to every client attached to its stream. */
static void emit(struct shim *s, enum io_stream stream, const char *data, size_t len) {
  if (s->log.fd >= 0) log_feed(&s->log, &s->lines[stream], stream, data, len);
  int want = stream == STREAM_STDERR ? ATTACH_STDERR : ATTACH_STDOUT;
  for (int i = 0; i < MAX_CLIENTS; i++) {
    struct client *c = &s->clients[i];
    if (c->fd < 0 || !(c->attach & want)) continue;
    if (!c->pend && !(c->pend = malloc(IO_CHUNK + 8))) {
      close_client(c);
      continue;
    }
    size_t at = 0;
    if (c->attach & ATTACH_FRAMED) {
      frame_header((uint8_t *)c->pend, stream, (uint32_t)len);
      at = 8;
    }
    memcpy(c->pend + at, data, len);
    c->pend_len = at + len;
    c->pend_off = 0;
    flush_client(c);
  }
}

/* Reads one chunk of output; -1 on EOF or error (the fd is then closed). */
static int read_output(struct shim *s, int *fd, enum io_stream stream) {
  char buf[IO_CHUNK];
  ssize_t n = read(*fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 0;
  if (n <= 0) {
    /* the pty master stays open for input and resize; EIO means no slave is open any more */
    if (*fd != s->master) {
      close(*fd);
      *fd = -1;
    }
    return -1;
  }
  if (s->relay_console && *fd == s->master) write_full(1, buf, (size_t)n);
  else emit(s, stream, buf, (size_t)n);
  return 0;
}

/* Where the container's input goes: the stdin pipe or the pty master. */
static int input_fd(struct shim *s) {
  return s->master >= 0 ? s->master : s->out_fd[STREAM_STDIN];
}

static void close_container_stdin(struct shim *s) {
  if (s->out_fd[STREAM_STDIN] >= 0) {
    close(s->out_fd[STREAM_STDIN]);
    s->out_fd[STREAM_STDIN] = -1;
  }
  s->stdin_len = s->stdin_off = 0;
}

static void flush_stdin(struct shim *s) {
  int fd = input_fd(s);
  while (fd >= 0 && s->stdin_off < s->stdin_len) {
    ssize_t n = write(fd, s->stdin_pend + s->stdin_off, s->stdin_len - s->stdin_off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) { /* the container closed its stdin: drop what it will never read */
      s->stdin_len = s->stdin_off = 0;
      return;
    }
    s->stdin_off += (size_t)n;
  }
  s->stdin_len = s->stdin_off = 0;
}

/* Bytes from an attached client: the container's stdin. A shut-down sending side is stdin's EOF
 * when the container was created with stdin-once (docker's StdinOnce). */
static void read_attached(struct shim *s, struct client *c) {
  ssize_t n = read(c->fd, s->stdin_pend, sizeof s->stdin_pend);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    c->read_closed = 1;
    if ((c->attach & ATTACH_STDIN) && (s->io_flags & IO_STDIN_ONCE)) close_container_stdin(s);
    if (n < 0 || !(c->attach & (ATTACH_STDOUT | ATTACH_STDERR))) close_client(c);
    return;
  }
  if (!(c->attach & ATTACH_STDIN) || input_fd(s) < 0) return;
  s->stdin_len = (size_t)n;
  s->stdin_off = 0;
  flush_stdin(s);
}

/* Output left in the pipes when the init exits is still logged and delivered; then the clients get
 * what is pending (bounded wait) and EOF. */
static void drain_output(struct shim *s) {
  for (int round = 0; round < 4096; round++) {
    int any = 0;
    int fds[3] = {-1, s->out_fd[STREAM_STDOUT], s->out_fd[STREAM_STDERR]};
    if (s->master >= 0) fds[0] = s->master;
    for (int k = 0; k < 3; k++) {
      if (fds[k] < 0) continue;
      struct pollfd p = {fds[k], POLLIN, 0};
      if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP))) continue;
      int *slot = k == 0 ? &s->master : &s->out_fd[k];
      enum io_stream stream = k == 2 ? STREAM_STDERR : STREAM_STDOUT;
      if (read_output(s, slot, stream) == 0) any = 1;
      for (int i = 0; i < MAX_CLIENTS; i++) {
        struct client *c = &s->clients[i];
        while (c->fd >= 0 && c->pend_len > c->pend_off) {
          struct pollfd w = {c->fd, POLLOUT, 0};
          if (poll(&w, 1, 2000) <= 0) {
            close_client(c); /* a client that takes nothing for 2 s does not hold the exit */
            break;
          }
          flush_client(c);
        }
      }
    }
    if (!any) break;
  }
  for (int k = STREAM_STDOUT; k <= STREAM_STDERR; k++) log_flush(&s->log, &s->lines[k], (enum io_stream)k);
  log_close(&s->log);
  for (int i = 0; i < MAX_CLIENTS; i++)
    if (s->clients[i].fd >= 0 && s->clients[i].attach) close_client(&s->clients[i]);
}

static void on_container_exit(struct shim *s) {
  if (s->relay_console && s->master >= 0) {
    /* drain what the container wrote before it exited */
    int fl = fcntl(s->master, F_GETFL);
    fcntl(s->master, F_SETFL, fl | O_NONBLOCK);
    while (pump(s->master, 1) == 0) {
      struct pollfd p = {s->master, POLLIN, 0};
      if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN)) break;
    }
  } else {
    drain_output(s);
  }
  tell(s, MSG_EXITED, s->status, 0, 0);
  if (s->exit_file) write_exit_file(s->exit_file, s->status);
  for (int i = 0; i < MAX_CLIENTS; i++) {
    if (s->clients[i].fd >= 0 && s->clients[i].waiting) {
      struct msg m = {MSG_EXITED, s->status, 0, 0};
      write_full(s->clients[i].fd, &m, sizeof m);
    }
  }
}

static void serve_client(struct shim *s, struct client *c) {
  struct msg m, reply = {MSG_OK, 0, 0, 0};
  if (read_full(c->fd, &m, sizeof m)) {
    close_client(c);
    return;
  }
  switch (m.kind) {
  case MSG_WAIT:
    if (s->exited) {
      reply.kind = MSG_EXITED;
      reply.a = s->status;
      break;
    }
    c->waiting = 1;
    return;
  case MSG_KILL:
    reply.a = kill(s->c2, m.a) == 0 ? 0 : errno;
    break;
  case MSG_GET_PID:
    reply.kind = MSG_PID;
    reply.a = s->c2;
    break;
  case MSG_ATTACH:
    if (m.a & ~(ATTACH_STDIN | ATTACH_STDOUT | ATTACH_STDERR | ATTACH_FRAMED)) {
      reply.a = EINVAL;
      break;
    }
    write_full(c->fd, &reply, sizeof reply);
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    c->attach = m.a | 0x100; /* nonzero even for an attach to nothing */
    return;
  case MSG_RESIZE: {
    struct winsize ws = {.ws_row = (unsigned short)m.a, .ws_col = (unsigned short)m.b};
    reply.a = s->master < 0 ? ENOTTY : ioctl(s->master, TIOCSWINSZ, &ws) == 0 ? 0 : errno;
    break;
  }
  case MSG_CLOSE_STDIN:
    close_container_stdin(s);
    break;
  default:
    reply.a = EINVAL;
  }
  write_full(c->fd, &reply, sizeof reply);
}

/* A message from the children after P went on to monitor (shim mode keeps listening from
 * `created` on): 1 once the init exec'd (EOF on the sync socket), -1 on an error report. */
static int sync_event(struct shim *s) {
  struct msg m;
  int fd = -1;
  int r = msg_recv(s->sync, &m, &fd);
  if (r == 0 && m.kind == MSG_CONSOLE && fd >= 0) {
    s->master = fd;
    return 0;
  }
  if (fd >= 0) close(fd);
  if (r == 0 && m.kind == MSG_ERROR) {
    tell(s, MSG_ERROR, m.a, m.b, m.c);
    return -1;
  }
  if (r == 0) return 0;
  close(s->sync);
  s->sync = -1;
  if (!s->execed_told) tell(s, MSG_EXECED, 0, 0, 0);
  s->execed_told = 1;
  return 1;
}

/* The monitor: reaps (P is a subreaper), moves the container's I/O, serves the control socket,
 * until the container's init has exited. */
static int monitor(struct shim *s, int sigfd) {
  while (!s->exited) {
    struct pollfd fds[8 + MAX_CLIENTS];
    int n = 0, i_sig, i_sync = -1, i_master = -1, i_stdin = -1, i_listen = -1, i_out = -1, i_err = -1, i_in = -1;
    int held = backpressured(s);
    fds[i_sig = n++] = (struct pollfd){sigfd, POLLIN, 0};
    if (s->sync >= 0) fds[i_sync = n++] = (struct pollfd){s->sync, POLLIN, 0};
    if (s->master >= 0 && !held && !s->master_hup) fds[i_master = n++] = (struct pollfd){s->master, POLLIN, 0};
    if (s->master >= 0 && s->relay_console) fds[i_stdin = n++] = (struct pollfd){0, POLLIN, 0};
    if (s->out_fd[STREAM_STDOUT] >= 0 && !held) fds[i_out = n++] = (struct pollfd){s->out_fd[STREAM_STDOUT], POLLIN, 0};
    if (s->out_fd[STREAM_STDERR] >= 0 && !held) fds[i_err = n++] = (struct pollfd){s->out_fd[STREAM_STDERR], POLLIN, 0};
    if (s->stdin_len > s->stdin_off && input_fd(s) >= 0) fds[i_in = n++] = (struct pollfd){input_fd(s), POLLOUT, 0};
    if (s->listen_fd >= 0) fds[i_listen = n++] = (struct pollfd){s->listen_fd, POLLIN, 0};
    int i_client0 = n;
    for (int i = 0; i < MAX_CLIENTS; i++) {
      struct client *c = &s->clients[i];
      short ev = 0;
      /* no new stdin while the last chunk is not written: the client waits, not the shim */
      if (!c->read_closed && !(c->attach && s->stdin_len > s->stdin_off)) ev |= POLLIN;
      if (c->pend_len > c->pend_off) ev |= POLLOUT;
      fds[n++] = (struct pollfd){c->fd, ev, 0}; /* negative fds are ignored by poll */
    }
    if (poll(fds, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (fds[i_sig].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (read(sigfd, &si, sizeof si) == (ssize_t)sizeof si && si.ssi_signo == SIGWINCH && s->master >= 0)
        resize_from_stdin(s->master);
      int status;
      pid_t pid;
      while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid == s->c2) {
          s->exited = 1;
          s->status = status;
        }
      }
    }
    if (i_sync >= 0 && (fds[i_sync].revents & (POLLIN | POLLHUP))) sync_event(s);
    if (i_master >= 0 && (fds[i_master].revents & POLLIN)) read_output(s, &s->master, STREAM_STDOUT);
    else if (i_master >= 0 && (fds[i_master].revents & POLLHUP)) s->master_hup = 1;
    if (i_out >= 0 && (fds[i_out].revents & (POLLIN | POLLHUP))) read_output(s, &s->out_fd[STREAM_STDOUT], STREAM_STDOUT);
    if (i_err >= 0 && (fds[i_err].revents & (POLLIN | POLLHUP))) read_output(s, &s->out_fd[STREAM_STDERR], STREAM_STDERR);
    if (i_in >= 0 && (fds[i_in].revents & (POLLOUT | POLLERR | POLLHUP))) flush_stdin(s);
    if (i_stdin >= 0 && (fds[i_stdin].revents & (POLLIN | POLLHUP))) {
      if (pump(0, s->master) < 0) {
        /* stdin ended: stop relaying it, the container keeps its terminal */
        int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (devnull >= 0) {
          dup2(devnull, 0);
          close(devnull);
        }
      }
    }
    if (i_listen >= 0 && (fds[i_listen].revents & POLLIN)) {
      int c = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
      int placed = 0;
      for (int i = 0; c >= 0 && i < MAX_CLIENTS && !placed; i++) {
        if (s->clients[i].fd < 0) {
          s->clients[i] = (struct client){.fd = c};
          placed = 1;
        }
      }
      if (c >= 0 && !placed) close(c);
    }
    for (int i = 0; i < MAX_CLIENTS; i++) {
      struct client *c = &s->clients[i];
      short re = fds[i_client0 + i].revents;
      if (c->fd < 0 || re == 0) continue;
      if (re & POLLOUT) flush_client(c);
      if (c->fd < 0) continue;
      if (!c->attach) {
        if (re & (POLLIN | POLLHUP)) serve_client(s, c);
        else if (re & (POLLERR | POLLNVAL)) close_client(c);
        continue;
      }
      if (re & POLLIN) read_attached(s, c);
      if (c->fd >= 0 && (re & (POLLHUP | POLLERR | POLLNVAL))) {
        /* gone in both directions (a half-close is POLLIN with EOF, handled above) */
        if (!c->read_closed && (c->attach & ATTACH_STDIN) && (s->io_flags & IO_STDIN_ONCE)) close_container_stdin(s);
        close_client(c);
      }
    }
  }
  on_container_exit(s);
  return exit_code_of(s->status);
}

/* `docker run --init`: the binary is bind-mounted read-only into the container as
 * /sbin/docker-init and runs as pid 1 with `-- cmd args…` (tini's command line). It forwards every
 * catchable signal to the command, reaps every orphan that lands on it, and exits with the
 * command's status (128 + signal when killed), as tini does. */
static int init_main(int argc, char **argv) {
  int first = 1;
  while (first < argc && strcmp(argv[first], "--") != 0) first++;
  if (first + 1 >= argc) {
    dprintf(2, "skiff-init: usage: %s -- command [args...]\n", argv[0]);
    return 2;
  }
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  pid_t child = fork();
  if (child < 0) {
    dprintf(2, "skiff-init: fork: %s\n", strerror(errno));
    return 2;
  }
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    execvp(argv[first + 1], argv + first + 1);
    dprintf(2, "skiff-init: exec %s: %s\n", argv[first + 1], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
  }
  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(&all, &si);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      kill(child, sig);
      continue;
    }
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
      if (pid == child) return exit_code_of(status);
  }
}

static const char *base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

int main(int argc, char **argv) {
  if ((argc > 1 && strcmp(argv[1], "--") == 0) || strcmp(base_name(argv[0]), "docker-init") == 0) return init_main(argc, argv);
  ensure_sealed_self(argv);
  if (argc != 2) {
    dprintf(2, "usage: skiff-shim <control-fd>\n");
    return 2;
  }
  /* large (buffers): not on the stack; static, so already zero: only the non-zero fields are set
   * (assigning a whole struct literal would write, and so commit, every page of its buffers) */
  static struct shim s;
  s.control = atoi(argv[1]);
  s.sync = s.listen_fd = s.master = -1;
  for (int i = 0; i < 3; i++) s.child_fds[i] = s.out_fd[i] = -1;
  s.log.fd = -1;
  for (int i = 0; i < MAX_CLIENTS; i++) s.clients[i] = (struct client){.fd = -1};
  fcntl(s.control, F_SETFD, FD_CLOEXEC);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGXFSZ, SIG_IGN); /* a file-size limit fails a log write (EFBIG) like a full disk, it does not kill the shim */
  umask(0);

  uint8_t lenbuf[4];
  if (read_full(s.control, lenbuf, 4)) die("read plan length");
  uint32_t len = (uint32_t)lenbuf[0] | ((uint32_t)lenbuf[1] << 8) | ((uint32_t)lenbuf[2] << 16) | ((uint32_t)lenbuf[3] << 24);
  if (len > PLAN_MAX_BYTES) {
    tell(&s, MSG_ERROR, -1, EINVAL, 0);
    dprintf(2, "skiff-shim: plan too large\n");
    return 2;
  }
  uint8_t *buf = malloc(len ? len : 1);
  if (!buf || read_full(s.control, buf, len)) die("read plan");
  struct plan plan;
  char err[256];
  if (plan_decode(buf, len, &plan, err, sizeof err)) {
    tell(&s, MSG_ERROR, -1, EINVAL, 0);
    dprintf(2, "skiff-shim: %s\n", err);
    return 2;
  }

  /* P's own ops, up to P_CLONE */
  uint32_t i = 0;
  unsigned long c1_flags = 0;
  for (; i < plan.count; i++) {
    const struct plan_op *op = &plan.ops[i];
    if (op->code == OP_P_MODE) s.mode = (uint32_t)op->f[0].num;
    else if (op->code == OP_P_CONSOLE) s.relay_console = (int)op->f[0].num;
    else if (op->code == OP_P_EXIT_FILE) s.exit_file = op->f[0].str;
    else if (op->code == OP_P_CONTROL_SOCKET) s.control_path = op->f[0].str;
    else if (op->code == OP_P_IO) {
      s.io_flags = (uint32_t)op->f[0].num;
      if (op->f[1].str[0] && log_open(&s.log, op->f[1].str, op->f[2].num, (uint32_t)op->f[3].num)) {
        tell(&s, MSG_ERROR, (int32_t)i, errno, 0);
        return 1;
      }
    }
    else if (op->code == OP_P_CLONE) {
      c1_flags = (unsigned long)op->f[0].num;
      break;
    } else {
      tell(&s, MSG_ERROR, (int32_t)i, EINVAL, 0);
      return 2;
    }
  }
  if (i == plan.count) {
    tell(&s, MSG_ERROR, -1, EINVAL, 0);
    dprintf(2, "skiff-shim: plan has no P_CLONE\n");
    return 2;
  }
  /* skiffd's shim has no stderr: lost log records are noted in shim.log beside its socket */
  static char note_path[4200];
  const char *slash = s.control_path ? strrchr(s.control_path, '/') : NULL;
  if (s.log.fd >= 0 && slash && snprintf(note_path, sizeof note_path, "%.*s/shim.log", (int)(slash - s.control_path), s.control_path) < (int)sizeof note_path)
    s.log.note_path = note_path;

  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) die("socketpair");
  s.sync = sv[0];
  if (s.mode != MODE_CREATE) prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  if (s.control_path) {
    s.listen_fd = listen_on(s.control_path);
    if (s.listen_fd < 0) {
      tell(&s, MSG_ERROR, -1, errno, 0);
      die("listen on control socket");
    }
  }

  /* the container's stdio: pipes whose far ends C1 puts on 0-2 (a pty, if any, replaces them later) */
  if (s.io_flags & (IO_STDIN | IO_PIPES)) {
    int p[2];
    for (int k = 0; k < 3; k++) {
      int want = k == STREAM_STDIN ? (s.io_flags & IO_STDIN) : (s.io_flags & IO_PIPES);
      if (!want) {
        s.child_fds[k] = open("/dev/null", (k == 0 ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
        if (s.child_fds[k] < 0) die("open /dev/null");
        continue;
      }
      if (pipe2(p, O_CLOEXEC)) die("pipe2");
      s.child_fds[k] = k == STREAM_STDIN ? p[0] : p[1];
      s.out_fd[k] = k == STREAM_STDIN ? p[1] : p[0];
      fcntl(s.out_fd[k], F_SETFL, O_NONBLOCK);
    }
  }

  sigset_t mask, oldmask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGWINCH);
  sigprocmask(SIG_BLOCK, &mask, &oldmask);
  int sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
  if (sigfd < 0) die("signalfd");

  long c1 = syscall(SYS_clone, c1_flags | SIGCHLD, NULL, NULL, NULL, 0UL);
  if (c1 < 0) {
    tell(&s, MSG_ERROR, (int32_t)i, errno, 0);
    return 1;
  }
  if (c1 == 0) {
    sigprocmask(SIG_SETMASK, &oldmask, NULL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGXFSZ, SIG_DFL);
    close(sv[0]);
    close(sigfd);
    if (s.listen_fd >= 0) close(s.listen_fd);
    close(s.control);
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    for (int k = 0; k < 3; k++) {
      if (s.child_fds[k] < 0) continue;
      if (dup2(s.child_fds[k], k) < 0) _exit(126);
      close(s.child_fds[k]);
      if (s.out_fd[k] >= 0) close(s.out_fd[k]);
    }
    if (s.log.fd >= 0) close(s.log.fd);
    struct child_ctx ctx = {.plan = &plan, .sync_fd = sv[1], .root_fd = -1};
    child_run(&ctx, i + 1);
  }
  s.c1 = (pid_t)c1;
  close(sv[1]);
  for (int k = 0; k < 3; k++)
    if (s.child_fds[k] >= 0) close(s.child_fds[k]);
  /* P needs nothing more of the plan (C1 has its own copy): its three paths are kept, the rest is
   * freed and the pages given back, so that an idle shim holds only what it serves with */
  char *exit_copy = s.exit_file ? strdup(s.exit_file) : NULL;
  char *control_copy = s.control_path ? strdup(s.control_path) : NULL;
  char *log_copy = s.log.path ? strdup(s.log.path) : NULL;
  if ((exit_copy || !s.exit_file) && (control_copy || !s.control_path) && (log_copy || !s.log.path)) {
    s.exit_file = exit_copy;
    s.control_path = control_copy;
    s.log.path = log_copy;
    plan_free(&plan);
    free(buf);
    malloc_trim(0);
  }

  /* set-up phase: relay until the init execs (the sync socket closes on exec) or reports */
  for (;;) {
    struct msg m;
    int fd;
    int r = msg_recv(s.sync, &m, &fd);
    if (r == 1) break;
    if (r < 0) die("recv from child");
    switch (m.kind) {
    case MSG_SYNC: {
      tell(&s, MSG_SYNC, m.a, s.c2 ? s.c2 : s.c1, 0);
      struct msg reply;
      if (s.control < 0 || read_full(s.control, &reply, sizeof reply)) reply.kind = MSG_ABORT;
      msg_send(s.sync, reply.kind == MSG_GO ? MSG_GO : MSG_ABORT, 0, 0, 0, -1);
      break;
    }
    case MSG_CHILD_PID:
      s.c2 = m.a;
      waitpid(s.c1, NULL, 0);
      tell(&s, MSG_INIT_PID, s.c2, 0, 0);
      break;
    case MSG_ERROR:
      tell(&s, MSG_ERROR, m.a, m.b, m.c);
      return 1;
    case MSG_READY:
      if (s.c2 == 0) { /* C1 was killed before it named C2 (C2 waits for its report otherwise) */
        tell(&s, MSG_ERROR, -1, ECHILD, 0);
        return 1;
      }
      tell(&s, MSG_CREATED, 0, 0, 0);
      if (s.mode == MODE_CREATE) return 0;
      /* skiffd's shim serves attach and wait from `created` on: output from the first byte */
      if (s.mode == MODE_SHIM) goto created;
      break;
    case MSG_CONSOLE:
      if (fd >= 0) {
        s.master = fd;
        if (s.relay_console && isatty(0)) resize_from_stdin(s.master);
      }
      break;
    default:
      break;
    }
  }
  close(s.sync);
  s.sync = -1;

  if (s.c2 == 0) {
    /* C1 died without a report */
    tell(&s, MSG_ERROR, -1, ECHILD, 0);
    return 1;
  }
  /* EOF without an error report: the init exec'd (its end is close-on-exec). A fast container may
   * already have exited too; that is a normal run, reported as exec'd and then exited. */
  tell(&s, MSG_EXECED, 0, 0, 0);
  s.execed_told = 1;
  if (s.mode == MODE_CREATE) return 0;
  int status;
  if (waitpid(s.c2, &status, WNOHANG) == s.c2) {
    s.exited = 1;
    s.status = status;
  }
  if (s.mode == MODE_SHIM) setsid();
  return monitor(&s, sigfd);

created:
  setsid();
  return monitor(&s, sigfd);
}
