/* The decoded launch plan. Decoding happens once, before any clone(); the children run on a copy. */
#ifndef SKIFF_PLAN_H
#define SKIFF_PLAN_H

#include <stddef.h>
#include <stdint.h>

#define PLAN_MAGIC "SKPL"
#define PLAN_VERSION 1
#define PLAN_MAX_FIELDS 8
#define PLAN_MAX_OPS 65536
#define PLAN_MAX_BYTES (64u << 20)

enum plan_op_code {
#define PLAN_OP(code, name, sig) OP_##name = code,
#include "plan-ops.def"
#undef PLAN_OP
};

struct plan_field {
  uint64_t num;            /* u, i (sign-extended), q */
  const char *str;         /* s: NUL-terminated string; b: aligned bytes */
  uint32_t len;            /* s, b: byte length; v, w: element count */
  char *const *strv;       /* v: NULL-terminated array */
  const uint32_t *u32v;    /* w */
};

struct plan_op {
  uint16_t code;
  uint16_t nfields;
  struct plan_field f[PLAN_MAX_FIELDS];
};

struct plan {
  uint32_t count;
  struct plan_op *ops;
};

/* Validates framing (magic, version, bounds, counts, field types, NULs) and decodes. Returns 0, or
 * -1 with a message in err naming the op index and field. */
int plan_decode(const uint8_t *buf, size_t len, struct plan *out, char *err, size_t errlen);
const char *plan_op_name(uint16_t code);
/* Frees what plan_decode allocated (the input buffer is the caller's). */
void plan_free(struct plan *p);

#endif
