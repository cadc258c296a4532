/* skiff-shim: process P. It receives a launch plan from TypeScript on the control fd, clones the
 * intermediate child (C1), which clones the container's init (C2) as P's own child, relays the
 * children's sync points to TypeScript, and then either exits (create mode) or stays as the monitor
 * of the container (foreground `run`, or the detached per-container shim of skiffd): reaps, relays
 * the pty, records the exit status, serves wait/kill on a path socket.
 *
 * Usage: skiff-shim <control-fd>. The plan arrives on the control fd as u32 length + plan bytes. */
#define _GNU_SOURCE
#include <errno.h>
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

#include "ops.h"

extern char **environ;

enum p_mode { MODE_CREATE = 0, MODE_FOREGROUND = 1, MODE_SHIM = 2 };

#define MAX_CLIENTS 32

struct shim {
  int control;          /* stream to TypeScript; -1 once closed */
  int sync;             /* P's end of the SEQPACKET socket to the children */
  uint32_t mode;
  int relay_console;
  const char *exit_file;
  const char *control_path;
  int listen_fd;
  pid_t c1, c2;
  int master;           /* pty master when relaying */
  int exited;
  int status;
  int clients[MAX_CLIENTS];
  int waiting[MAX_CLIENTS];
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

static void on_container_exit(struct shim *s) {
  if (s->master >= 0) {
    /* drain what the container wrote before it exited */
    int fl = fcntl(s->master, F_GETFL);
    fcntl(s->master, F_SETFL, fl | O_NONBLOCK);
    while (pump(s->master, 1) == 0) {
      struct pollfd p = {s->master, POLLIN, 0};
      if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN)) break;
    }
  }
  tell(s, MSG_EXITED, s->status, 0, 0);
  if (s->exit_file) write_exit_file(s->exit_file, s->status);
  for (int i = 0; i < MAX_CLIENTS; i++) {
    if (s->clients[i] >= 0 && s->waiting[i]) {
      struct msg m = {MSG_EXITED, s->status, 0, 0};
      write_full(s->clients[i], &m, sizeof m);
    }
  }
}

static void serve_client(struct shim *s, int i) {
  struct msg m, reply = {0, 0, 0, 0};
  if (read_full(s->clients[i], &m, sizeof m)) {
    close(s->clients[i]);
    s->clients[i] = -1;
    return;
  }
  switch (m.kind) {
  case MSG_WAIT:
    if (s->exited) {
      reply.kind = MSG_EXITED;
      reply.a = s->status;
      break;
    }
    s->waiting[i] = 1;
    return;
  case MSG_KILL:
    reply.kind = MSG_OK;
    reply.a = kill(s->c2, m.a) == 0 ? 0 : errno;
    break;
  case MSG_GET_PID:
    reply.kind = MSG_PID;
    reply.a = s->c2;
    break;
  default:
    reply.kind = MSG_OK;
    reply.a = EINVAL;
  }
  write_full(s->clients[i], &reply, sizeof reply);
}

/* The monitor: reaps (P is a subreaper), relays the pty, serves the control socket, until the
 * container's init has exited. */
static int monitor(struct shim *s, int sigfd) {
  while (!s->exited) {
    struct pollfd fds[4 + MAX_CLIENTS];
    int n = 0, i_sig = -1, i_master = -1, i_stdin = -1, i_listen = -1, i_client0;
    fds[i_sig = n++] = (struct pollfd){sigfd, POLLIN, 0};
    if (s->master >= 0) {
      fds[i_master = n++] = (struct pollfd){s->master, POLLIN, 0};
      fds[i_stdin = n++] = (struct pollfd){0, POLLIN, 0};
    }
    if (s->listen_fd >= 0) fds[i_listen = n++] = (struct pollfd){s->listen_fd, POLLIN, 0};
    i_client0 = n;
    for (int i = 0; i < MAX_CLIENTS; i++)
      fds[n++] = (struct pollfd){s->clients[i], POLLIN, 0}; /* negative fds are ignored by poll */
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
    if (i_master >= 0 && (fds[i_master].revents & (POLLIN | POLLHUP))) {
      if (pump(s->master, 1) < 0 && !(fds[i_master].revents & POLLIN)) {
        /* the slave side is closed by everyone: keep waiting for the exit */
      }
    }
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
        if (s->clients[i] < 0) {
          s->clients[i] = c;
          s->waiting[i] = 0;
          placed = 1;
        }
      }
      if (c >= 0 && !placed) close(c);
    }
    for (int i = 0; i < MAX_CLIENTS; i++)
      if (s->clients[i] >= 0 && (fds[i_client0 + i].revents & (POLLIN | POLLHUP))) serve_client(s, i);
  }
  on_container_exit(s);
  return exit_code_of(s->status);
}

int main(int argc, char **argv) {
  ensure_sealed_self(argv);
  if (argc != 2) {
    dprintf(2, "usage: skiff-shim <control-fd>\n");
    return 2;
  }
  struct shim s = {.control = atoi(argv[1]), .sync = -1, .listen_fd = -1, .master = -1};
  for (int i = 0; i < MAX_CLIENTS; i++) s.clients[i] = -1;
  fcntl(s.control, F_SETFD, FD_CLOEXEC);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  signal(SIGPIPE, SIG_IGN);
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
    close(sv[0]);
    close(sigfd);
    if (s.listen_fd >= 0) close(s.listen_fd);
    close(s.control);
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    struct child_ctx ctx = {.plan = &plan, .sync_fd = sv[1], .root_fd = -1};
    child_run(&ctx, i + 1);
  }
  s.c1 = (pid_t)c1;
  close(sv[1]);

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
      tell(&s, MSG_CREATED, 0, 0, 0);
      if (s.mode == MODE_CREATE) return 0;
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

  if (s.c2 == 0) {
    /* C1 died without a report */
    tell(&s, MSG_ERROR, -1, ECHILD, 0);
    return 1;
  }
  /* EOF without an error report: the init exec'd (its end is close-on-exec). A fast container may
   * already have exited too; that is a normal run, reported as exec'd and then exited. */
  tell(&s, MSG_EXECED, 0, 0, 0);
  if (s.mode == MODE_CREATE) return 0;
  int status;
  if (waitpid(s.c2, &status, WNOHANG) == s.c2) {
    s.exited = 1;
    s.status = status;
  }
  if (s.mode == MODE_SHIM) setsid();
  return monitor(&s, sigfd);
}
