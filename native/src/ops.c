/* The op executor: a switch of raw syscalls. It takes no decisions: every path, flag and value comes
 * from the plan that TypeScript computed. The first failing op is reported as {index, errno}. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <net/if.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "ops.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* --- messages --- */

int msg_send(int fd, uint32_t kind, int32_t a, int32_t b, int32_t c, int pass_fd) {
  struct msg m = {kind, a, b, c};
  struct iovec iov = {&m, sizeof m};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr mh = {0};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  if (pass_fd >= 0) {
    memset(&u, 0, sizeof u);
    mh.msg_control = u.buf;
    mh.msg_controllen = sizeof u.buf;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
  }
  ssize_t n;
  do n = sendmsg(fd, &mh, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n == (ssize_t)sizeof m ? 0 : -1;
}

int msg_recv(int fd, struct msg *m, int *got_fd) {
  struct iovec iov = {m, sizeof *m};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr mh = {0};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = u.buf;
  mh.msg_controllen = sizeof u.buf;
  if (got_fd) *got_fd = -1;
  ssize_t n;
  do n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n == 0) return 1;
  if (n != (ssize_t)sizeof *m) return -1;
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS && got_fd)
      memcpy(got_fd, CMSG_DATA(cm), sizeof(int));
  }
  return 0;
}

/* --- path resolution inside the root --- */

static int fd_path(int fd, char *buf, size_t len) {
  int n = snprintf(buf, len, "/proc/self/fd/%d", fd);
  return n > 0 && (size_t)n < len ? 0 : -1;
}

/* Opens `path` with `flags`; for resolve 1/2 the path is looked up with openat2(RESOLVE_IN_ROOT) under
 * the current root fd, so that neither ".." nor a symlink can lead outside it. */
static int open_resolved(struct child_ctx *ctx, const char *path, uint32_t resolve, int flags, mode_t mode) {
  if (resolve == 0) return open(path, flags | O_CLOEXEC, mode);
  if (ctx->root_fd < 0) {
    errno = EBADF;
    return -1;
  }
  while (*path == '/') path++;
  if (*path == 0) path = ".";
  struct open_how how = {0};
  how.flags = (uint64_t)(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | (resolve == 2 ? RESOLVE_NO_SYMLINKS : 0);
  long fd;
  do fd = syscall(SYS_openat2, ctx->root_fd, path, &how, sizeof how);
  while (fd < 0 && errno == EAGAIN);
  return (int)fd;
}

/* Splits "a/b/c" into the parent part and the last name, in caller buffers. */
static int split_path(const char *path, char *parent, size_t plen, const char **name) {
  size_t n = strlen(path);
  while (n > 1 && path[n - 1] == '/') n--;
  if (n >= plen) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(parent, path, n);
  parent[n] = 0;
  char *slash = strrchr(parent, '/');
  if (!slash) {
    *name = path;
    strcpy(parent, ".");
    return 0;
  }
  *name = path + (slash - parent) + 1;
  if (slash == parent) slash[1] = 0;
  else *slash = 0;
  return 0;
}

/* mkdir -p inside the root: each prefix is resolved from the root again, so a symlink met on the way
 * is followed only within the root. */
static int mkdir_all(struct child_ctx *ctx, const char *path, mode_t mode, uint32_t resolve) {
  char buf[PATH_MAX];
  size_t n = strlen(path);
  if (n >= sizeof buf) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(buf, path, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (buf[i] != '/' && buf[i] != 0) continue;
    char saved = buf[i];
    buf[i] = 0;
    int fd = open_resolved(ctx, buf, resolve, O_PATH | O_DIRECTORY, 0);
    if (fd >= 0) {
      close(fd);
    } else if (errno == ENOENT) {
      char parent[PATH_MAX];
      const char *name;
      if (split_path(buf, parent, sizeof parent, &name)) return -1;
      int pfd = open_resolved(ctx, parent, resolve, O_PATH | O_DIRECTORY, 0);
      if (pfd < 0) return -1;
      int r = mkdirat(pfd, name, mode);
      int e = errno;
      close(pfd);
      if (r < 0 && e != EEXIST) {
        errno = e;
        return -1;
      }
      fd = open_resolved(ctx, buf, resolve, O_PATH | O_DIRECTORY, 0);
      if (fd < 0) return -1;
      close(fd);
    } else {
      return -1;
    }
    buf[i] = saved;
  }
  return 0;
}

static int parent_fd(struct child_ctx *ctx, const char *path, uint32_t resolve, const char **name) {
  char parent[PATH_MAX];
  if (split_path(path, parent, sizeof parent, name)) return -1;
  if (mkdir_all(ctx, parent, 0755, resolve)) return -1;
  return open_resolved(ctx, parent, resolve, O_PATH | O_DIRECTORY, 0);
}

/* --- mounts --- */

static unsigned long locked_flags_of(const char *target) {
  struct statvfs sv;
  unsigned long f = 0;
  if (statvfs(target, &sv) != 0) return 0;
  if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
  return f;
}

static int do_mount(struct child_ctx *ctx, const struct plan_op *op) {
  const char *source = op->f[0].str, *target = op->f[1].str, *fstype = op->f[2].str, *data = op->f[4].str;
  unsigned long flags = (unsigned long)op->f[3].num;
  uint32_t resolve = (uint32_t)op->f[5].num;
  char tpath[64];
  int tfd = -1;
  const char *t = target;
  if (resolve != 0 || !(flags & (MS_PRIVATE | MS_SLAVE | MS_SHARED | MS_UNBINDABLE))) {
    tfd = open_resolved(ctx, target, resolve, O_PATH, 0);
    if (tfd < 0) return -1;
    if (fd_path(tfd, tpath, sizeof tpath)) return -1;
    t = tpath;
  }
  /* remounting a bind mount must keep the flags the kernel locked on it (user namespaces) */
  if ((flags & MS_REMOUNT) && (flags & MS_BIND)) flags |= locked_flags_of(t);
  int r = mount(*source ? source : NULL, t, *fstype ? fstype : NULL, flags, *data ? data : NULL);
  int e = errno;
  if (tfd >= 0) close(tfd);
  errno = e;
  return r;
}

static int do_pivot_root(struct child_ctx *ctx) {
  int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0) return -1;
  int newroot = open(ctx->root_path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (newroot < 0) return -1;
  if (fchdir(newroot) || syscall(SYS_pivot_root, ".", ".") || fchdir(oldroot)) return -1;
  /* the old root is stacked under the new one: make it a slave so the detach does not propagate */
  if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) || umount2(".", MNT_DETACH) || chdir("/")) return -1;
  close(oldroot);
  close(newroot);
  if (ctx->root_fd >= 0) close(ctx->root_fd);
  ctx->root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  strcpy(ctx->root_path, "/");
  return ctx->root_fd < 0 ? -1 : 0;
}

/* lo of a new network namespace starts down; runc brings it up (127.0.0.1 must answer). */
static int do_loopback_up(void)
{
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  int r = ioctl(fd, SIOCGIFFLAGS, &ifr);
  if (r == 0 && !(ifr.ifr_flags & IFF_UP)) {
    ifr.ifr_flags |= IFF_UP;
    r = ioctl(fd, SIOCSIFFLAGS, &ifr);
  }
  int saved = errno;
  close(fd);
  errno = saved;
  return r;
}

static int do_chroot(struct child_ctx *ctx) {
  if (chdir(ctx->root_path) || mount(ctx->root_path, "/", NULL, MS_MOVE, NULL) || chroot(".") || chdir("/"))
    return -1;
  if (ctx->root_fd >= 0) close(ctx->root_fd);
  ctx->root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  strcpy(ctx->root_path, "/");
  return ctx->root_fd < 0 ? -1 : 0;
}

/* Masks a path: /dev/null bound over files (checked to be the real null device), an empty read-only
 * tmpfs over directories. A path that does not exist is left alone, as runc does. */
static int do_mask(struct child_ctx *ctx, const char *path) {
  int tfd = open_resolved(ctx, path, 1, O_PATH, 0);
  if (tfd < 0) return errno == ENOENT ? 0 : -1;
  struct stat st;
  char tpath[64], npath[64];
  if (fstat(tfd, &st) || fd_path(tfd, tpath, sizeof tpath)) return -1;
  int r;
  if (S_ISDIR(st.st_mode)) {
    r = mount("tmpfs", tpath, "tmpfs", MS_RDONLY, NULL);
  } else {
    int nfd = open_resolved(ctx, "/dev/null", 2, O_PATH, 0);
    struct stat ns;
    if (nfd < 0 || fstat(nfd, &ns)) return -1;
    if (!S_ISCHR(ns.st_mode) || ns.st_rdev != makedev(1, 3)) {
      errno = ENODEV;
      return -1;
    }
    if (fd_path(nfd, npath, sizeof npath)) return -1;
    r = mount(npath, tpath, NULL, MS_BIND, NULL);
    close(nfd);
  }
  int e = errno;
  close(tfd);
  errno = e;
  return r;
}

static int do_readonly(struct child_ctx *ctx, const char *path) {
  int tfd = open_resolved(ctx, path, 1, O_PATH, 0);
  if (tfd < 0) return errno == ENOENT ? 0 : -1;
  char tpath[64];
  if (fd_path(tfd, tpath, sizeof tpath)) return -1;
  if (mount(tpath, tpath, NULL, MS_BIND | MS_REC, NULL)) return -1;
  close(tfd);
  /* reopen: the path now names the new bind mount on top */
  tfd = open_resolved(ctx, path, 1, O_PATH, 0);
  if (tfd < 0 || fd_path(tfd, tpath, sizeof tpath)) return -1;
  unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | locked_flags_of(tpath);
  int r = mount(NULL, tpath, NULL, flags, NULL);
  int e = errno;
  close(tfd);
  errno = e;
  return r;
}

/* --- console --- */

static int do_console(struct child_ctx *ctx, int sock_fd, uint32_t rows, uint32_t cols) {
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return -1;
  if (rows > 0 && cols > 0) {
    struct winsize ws = {(unsigned short)rows, (unsigned short)cols, 0, 0};
    ioctl(master, TIOCSWINSZ, &ws);
  }
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock)) return -1;
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
  if (slave < 0) return -1;
  if (setsid() < 0 && errno != EPERM) return -1;
  if (ioctl(slave, TIOCSCTTY, 0)) return -1;
  for (int i = 0; i < 3; i++)
    if (dup2(slave, i) < 0) return -1;
  if (slave > 2) close(slave);
  int r;
  if (sock_fd >= 0) {
    /* runc's console-socket protocol: one message, the pty name as data, the master as SCM_RIGHTS */
    char name[32];
    unsigned int ptn = 0;
    ioctl(master, TIOCGPTN, &ptn);
    int n = snprintf(name, sizeof name, "/dev/pts/%u", ptn);
    struct iovec iov = {name, (size_t)n};
    union {
      char buf[CMSG_SPACE(sizeof(int))];
      struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof u);
    struct msghdr mh = {0};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = u.buf;
    mh.msg_controllen = sizeof u.buf;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &master, sizeof(int));
    r = sendmsg(sock_fd, &mh, MSG_NOSIGNAL) < 0 ? -1 : 0;
    if (r == 0) close(sock_fd);
  } else {
    r = msg_send(ctx->sync_fd, MSG_CONSOLE, 0, 0, 0, master);
  }
  int e = errno;
  close(master);
  errno = e;
  return r;
}

/* --- exec and hooks --- */

/* execvp's lookup without allocation: returns the path to run in buf, or -1 with errno. With
 * `run` = 1 it execs instead of checking. */
static int lookup_exec(const char *file, const char *search, char *const argv[], char *const envp[], int run) {
  if (strchr(file, '/')) {
    if (run) execve(file, argv, envp);
    else if (access(file, X_OK) == 0) return 0;
    return -1;
  }
  char buf[PATH_MAX];
  int saw_eacces = 0;
  const char *p = search;
  while (1) {
    const char *end = strchrnul(p, ':');
    size_t dlen = (size_t)(end - p);
    if (dlen == 0) dlen = 1, p = ".";
    if (dlen + 1 + strlen(file) + 1 <= sizeof buf) {
      memcpy(buf, p, dlen);
      buf[dlen] = '/';
      strcpy(buf + dlen + 1, file);
      struct stat st;
      if (run) {
        execve(buf, argv, envp);
        if (errno == EACCES) saw_eacces = 1;
      } else if (stat(buf, &st) == 0 && S_ISREG(st.st_mode)) {
        if (access(buf, X_OK) == 0) return 0;
        saw_eacces = 1;
      }
    }
    if (*end == 0) break;
    p = end + 1;
  }
  errno = saw_eacces ? EACCES : ENOENT;
  return -1;
}

static int do_hook(const struct plan_op *op, int32_t *detail) {
  int in[2];
  if (pipe2(in, O_CLOEXEC)) return -1;
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    dup2(in[0], 0);
    execve(op->f[0].str, op->f[1].strv, op->f[2].strv);
    _exit(127);
  }
  close(in[0]);
  ssize_t left = op->f[3].len;
  const char *p = op->f[3].str;
  signal(SIGPIPE, SIG_IGN);
  while (left > 0) {
    ssize_t n = write(in[1], p, (size_t)left);
    if (n <= 0) break;
    p += n;
    left -= n;
  }
  close(in[1]);
  int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
  uint32_t timeout = (uint32_t)op->f[4].num;
  if (pfd >= 0 && timeout > 0) {
    struct pollfd pf = {pfd, POLLIN, 0};
    int r;
    do r = poll(&pf, 1, (int)timeout);
    while (r < 0 && errno == EINTR);
    if (r == 0) {
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
      errno = ETIMEDOUT;
      return -1;
    }
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  if (pfd >= 0) close(pfd);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    *detail = status;
    errno = ECHILD;
    return -1;
  }
  return 0;
}

/* --- capabilities --- */

static int do_capset(uint64_t eff, uint64_t perm, uint64_t inh) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  data[0].effective = (uint32_t)eff;
  data[1].effective = (uint32_t)(eff >> 32);
  data[0].permitted = (uint32_t)perm;
  data[1].permitted = (uint32_t)(perm >> 32);
  data[0].inheritable = (uint32_t)inh;
  data[1].inheritable = (uint32_t)(inh >> 32);
  return (int)syscall(SYS_capset, &hdr, data);
}

static int do_cap_bounding(uint64_t keep) {
  for (int cap = 0; cap < 64; cap++) {
    if (keep & (1ULL << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
      if (errno == EINVAL) break; /* past the kernel's last capability */
      return -1;
    }
  }
  return 0;
}

static int do_cap_ambient(uint64_t raise) {
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) return -1;
  for (int cap = 0; cap < 64; cap++)
    if ((raise & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) return -1;
  return 0;
}

/* --- the loop --- */

__attribute__((noreturn)) static void fail(struct child_ctx *ctx, uint32_t index, int err, int32_t detail) {
  msg_send(ctx->sync_fd, MSG_ERROR, (int32_t)index, err, detail, -1);
  _exit(1);
}

void child_run(struct child_ctx *ctx, uint32_t start) {
  const struct plan *plan = ctx->plan;
  for (uint32_t i = start; i < plan->count; i++) {
    const struct plan_op *op = &plan->ops[i];
    const struct plan_field *f = op->f;
    int r = 0;
    int32_t detail = 0;
    errno = 0;
    switch (op->code) {
    case OP_SETNS:
      r = setns((int)f[0].num, (int)(int32_t)f[1].num);
      if (r == 0) close((int)f[0].num);
      break;
    case OP_UNSHARE:
      r = unshare((int)f[0].num);
      break;
    case OP_SYNC: {
      struct msg m;
      if (msg_send(ctx->sync_fd, MSG_SYNC, (int32_t)f[0].num, 0, 0, -1) || msg_recv(ctx->sync_fd, &m, NULL) != 0) {
        r = -1;
        if (!errno) errno = EPIPE;
      } else if (m.kind != MSG_GO) {
        _exit(1); /* the caller aborted: it knows why */
      }
      break;
    }
    case OP_CLONE_INIT: {
      /* C2 says nothing before C1 has exited (EOF on `order`), so P learns C2's pid before any
       * message of C2's: a sync must name C2, and `created` must carry the init's pid (a fast C2
       * used to overtake C1's report, and P then served a container whose pid it did not know) */
      int order[2];
      if (pipe2(order, O_CLOEXEC) < 0) {
        r = -1;
        break;
      }
      long pid = syscall(SYS_clone, (unsigned long)f[0].num | CLONE_PARENT, NULL, NULL, NULL, 0UL);
      if (pid < 0) {
        close(order[0]);
        close(order[1]);
        r = -1;
        break;
      }
      if (pid > 0) {
        msg_send(ctx->sync_fd, MSG_CHILD_PID, (int32_t)pid, 0, 0, -1);
        _exit(0);
      }
      close(order[1]);
      char none;
      while (read(order[0], &none, 1) < 0 && errno == EINTR) {
      }
      close(order[0]);
      /* the init outlives the shim in create mode: no parent-death signal (C1 had one) */
      prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
      break;
    }
    case OP_MOUNT:
      r = do_mount(ctx, op);
      break;
    case OP_MKDIR:
      r = mkdir_all(ctx, f[0].str, (mode_t)f[1].num, (uint32_t)f[2].num);
      break;
    case OP_MKFILE: {
      const char *name;
      int pfd = parent_fd(ctx, f[0].str, (uint32_t)f[2].num, &name);
      if (pfd < 0) {
        r = -1;
        break;
      }
      int fd = openat(pfd, name, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, (mode_t)f[1].num);
      if (fd < 0 && (errno == ELOOP || errno == EISDIR)) {
        /* an existing symlink or directory: let the mount step resolve it inside the root */
        fd = open_resolved(ctx, f[0].str, (uint32_t)f[2].num, O_PATH, 0);
      }
      r = fd < 0 ? -1 : 0;
      if (fd >= 0) close(fd);
      close(pfd);
      break;
    }
    case OP_MKNOD: {
      const char *name;
      int pfd = parent_fd(ctx, f[0].str, (uint32_t)f[5].num, &name);
      if (pfd < 0) {
        r = -1;
        break;
      }
      r = mknodat(pfd, name, (mode_t)f[1].num, (dev_t)f[2].num);
      if (r < 0 && errno == EEXIST) {
        unlinkat(pfd, name, 0);
        r = mknodat(pfd, name, (mode_t)f[1].num, (dev_t)f[2].num);
      }
      if (r == 0) r = fchownat(pfd, name, (uid_t)f[3].num, (gid_t)f[4].num, AT_SYMLINK_NOFOLLOW);
      if (r == 0) r = fchmodat(pfd, name, (mode_t)f[1].num & 07777, 0);
      int e = errno;
      close(pfd);
      errno = e;
      break;
    }
    case OP_SYMLINK: {
      const char *name;
      int pfd = parent_fd(ctx, f[1].str, (uint32_t)f[2].num, &name);
      if (pfd < 0) {
        r = -1;
        break;
      }
      r = symlinkat(f[0].str, pfd, name);
      if (r < 0 && errno == EEXIST) r = 0;
      close(pfd);
      break;
    }
    case OP_SET_ROOT:
      if (f[0].len >= sizeof ctx->root_path) {
        errno = ENAMETOOLONG;
        r = -1;
        break;
      }
      strcpy(ctx->root_path, f[0].str);
      if (ctx->root_fd >= 0) close(ctx->root_fd);
      ctx->root_fd = open(f[0].str, O_PATH | O_DIRECTORY | O_CLOEXEC);
      r = ctx->root_fd < 0 ? -1 : 0;
      break;
    case OP_PIVOT_ROOT:
      r = do_pivot_root(ctx);
      break;
    case OP_CHROOT:
      r = do_chroot(ctx);
      break;
    case OP_SETHOSTNAME:
      r = sethostname(f[0].str, f[0].len);
      break;
    case OP_SETDOMAINNAME:
      r = setdomainname(f[0].str, f[0].len);
      break;
    case OP_LOOPBACK_UP:
      r = do_loopback_up();
      break;
    case OP_SETRLIMIT: {
      struct rlimit rl = {(rlim_t)f[1].num, (rlim_t)f[2].num};
      r = setrlimit((__rlimit_resource_t)f[0].num, &rl);
      break;
    }
    case OP_PRCTL:
      r = prctl((int)f[0].num, (unsigned long)f[1].num, (unsigned long)f[2].num, 0UL, 0UL);
      break;
    case OP_CAP_BOUNDING:
      r = do_cap_bounding(f[0].num);
      break;
    case OP_SETGROUPS:
      r = (int)syscall(SYS_setgroups, (size_t)f[0].len, (const gid_t *)f[0].u32v);
      break;
    case OP_SETRESGID:
      r = (int)syscall(SYS_setresgid, (gid_t)f[0].num, (gid_t)f[0].num, (gid_t)f[0].num);
      break;
    case OP_SETRESUID:
      r = (int)syscall(SYS_setresuid, (uid_t)f[0].num, (uid_t)f[0].num, (uid_t)f[0].num);
      break;
    case OP_CAPSET:
      r = do_capset(f[0].num, f[1].num, f[2].num);
      break;
    case OP_CAP_AMBIENT:
      r = do_cap_ambient(f[0].num);
      break;
    case OP_SECCOMP: {
      struct sock_fprog prog = {(unsigned short)(f[0].len / sizeof(struct sock_filter)), (struct sock_filter *)f[0].str};
      r = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (unsigned int)f[1].num, &prog);
      break;
    }
    case OP_CHDIR: {
      r = chdir(f[0].str);
      if (r == 0) {
        /* CVE-2024-21626: a leaked fd as cwd would leave us outside the root; getcwd tells */
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd) || cwd[0] != '/') {
          errno = ENOENT;
          r = -1;
        }
      }
      break;
    }
    case OP_UMASK:
      umask((mode_t)f[0].num);
      break;
    case OP_WRITE_FILE: {
      int fd = open_resolved(ctx, f[0].str, (uint32_t)f[2].num, O_WRONLY, 0);
      if (fd < 0) {
        r = -1;
        break;
      }
      ssize_t n = write(fd, f[1].str, f[1].len);
      r = n == (ssize_t)f[1].len ? 0 : -1;
      if (n >= 0 && r < 0) errno = EIO;
      int e = errno;
      close(fd);
      errno = e;
      break;
    }
    case OP_MASK_PATH:
      r = do_mask(ctx, f[0].str);
      break;
    case OP_READONLY_PATH:
      r = do_readonly(ctx, f[0].str);
      break;
    case OP_CONSOLE:
      r = do_console(ctx, (int)(int32_t)f[0].num, (uint32_t)f[1].num, (uint32_t)f[2].num);
      break;
    case OP_WAIT_FIFO: {
      char path[64];
      msg_send(ctx->sync_fd, MSG_READY, 0, 0, 0, -1);
      if (fd_path((int)f[0].num, path, sizeof path)) {
        r = -1;
        break;
      }
      int fd;
      do fd = open(path, O_WRONLY | O_CLOEXEC);
      while (fd < 0 && errno == EINTR);
      if (fd < 0 || write(fd, "0", 1) != 1) {
        r = -1;
        break;
      }
      close(fd);
      close((int)f[0].num);
      break;
    }
    case OP_CLOSE_FDS:
      r = (int)syscall(SYS_close_range, (unsigned int)f[0].num, ~0U, CLOSE_RANGE_CLOEXEC);
      break;
    case OP_RUN_HOOK:
      r = do_hook(op, &detail);
      break;
    case OP_PERSONALITY:
      r = personality((unsigned long)f[0].num) < 0 ? -1 : 0;
      break;
    case OP_EXECVE:
      lookup_exec(f[0].str, f[3].str, f[1].strv, f[2].strv, 1);
      r = -1;
      break;
    case OP_CHECK_EXEC:
      r = lookup_exec(f[0].str, f[1].str, NULL, NULL, 0);
      break;
    case OP_SETSID:
      r = setsid() < 0 ? -1 : 0;
      break;
    case OP_UMOUNT: {
      int tfd = open_resolved(ctx, f[0].str, (uint32_t)f[2].num, O_PATH, 0);
      char tpath[64];
      if (tfd < 0 || fd_path(tfd, tpath, sizeof tpath)) {
        r = -1;
        break;
      }
      r = umount2(tpath, (int)f[1].num);
      close(tfd);
      break;
    }
    case OP_CLOSE_FD:
      close((int)f[0].num);
      break;
    default:
      errno = ENOSYS;
      r = -1;
    }
    if (r < 0) fail(ctx, i, errno ? errno : EINVAL, detail);
  }
  /* a plan without EXECVE: nothing to run */
  fail(ctx, plan->count, EINVAL, 0);
}
