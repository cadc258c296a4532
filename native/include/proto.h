/* Messages between the shim (P), its children (C1, C2) and the caller (TypeScript). Every message is
 * the same 16-byte little-endian record, on the control stream and on the SEQPACKET sync socket. */
#ifndef SKIFF_PROTO_H
#define SKIFF_PROTO_H

#include <stdint.h>

struct msg {
  uint32_t kind;
  int32_t a;
  int32_t b;
  int32_t c;
};

enum msg_kind {
  /* P -> caller */
  MSG_SYNC = 2,        /* a = sync point, b = pid (host view) that waits */
  MSG_INIT_PID = 3,    /* a = pid of the container init (host view) */
  MSG_ERROR = 4,       /* a = op index (-1: before any op), b = errno, c = detail (hook exit status) */
  MSG_CREATED = 5,     /* init waits on the exec fifo */
  MSG_EXECED = 6,      /* init called execve successfully */
  MSG_EXITED = 7,      /* a = raw wait status of init */
  MSG_OK = 8,          /* reply on the shim control socket: a = errno (0 = done) */
  MSG_PID = 9,         /* reply on the shim control socket: a = init pid */
  /* caller -> P */
  MSG_GO = 100,
  MSG_ABORT = 101,
  /* client -> shim control socket */
  MSG_WAIT = 200,
  MSG_KILL = 201,      /* a = signal */
  MSG_GET_PID = 202,
  MSG_ATTACH = 203,    /* a = ATTACH_* flags; after MSG_OK the connection is the attach stream */
  MSG_RESIZE = 204,    /* a = rows, b = columns of the pty */
  MSG_CLOSE_STDIN = 205,
  /* child -> P only */
  MSG_CHILD_PID = 300, /* C1 -> P: a = pid of C2 */
  MSG_READY = 301,     /* C2 -> P: about to block on the exec fifo */
  MSG_CONSOLE = 302,   /* C2 -> P: pty master attached with SCM_RIGHTS */
};

#endif
