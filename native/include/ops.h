#ifndef SKIFF_OPS_H
#define SKIFF_OPS_H

#include "plan.h"
#include "proto.h"

/* State of a child (C1 or C2) while it runs its part of the plan. No allocation happens after clone. */
struct child_ctx {
  const struct plan *plan;
  int sync_fd;   /* child end of the SEQPACKET socket to P */
  int root_fd;   /* O_PATH fd of the root that `resolve` ops are relative to, -1 before SET_ROOT */
  char root_path[4096];
};

/* Runs ops[start..] until EXECVE (does not return on success) or CLONE_INIT in the parent side
 * (returns after reporting). On failure reports {op index, errno} to P and exits. */
void child_run(struct child_ctx *ctx, uint32_t start) __attribute__((noreturn));

/* Sends one message (and optionally one fd) over a SEQPACKET socket. */
int msg_send(int fd, uint32_t kind, int32_t a, int32_t b, int32_t c, int pass_fd);
/* Receives one message; *got_fd receives a passed fd or -1. Returns 0, 1 on EOF, -1 on error. */
int msg_recv(int fd, struct msg *m, int *got_fd);

#endif
