/* Plan framing: "SKPL" u16 version u32 count, then per op: u16 code u32 payload-length payload.
 * Field signatures come from plan-ops.def; nothing here interprets what an op means. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

struct op_sig {
  uint16_t code;
  const char *name;
  const char *sig;
};

static const struct op_sig op_sigs[] = {
#define PLAN_OP(code, name, sig) {code, #name, sig},
#include "plan-ops.def"
#undef PLAN_OP
};

static const struct op_sig *find_sig(uint16_t code) {
  for (size_t i = 0; i < sizeof op_sigs / sizeof op_sigs[0]; i++)
    if (op_sigs[i].code == code) return &op_sigs[i];
  return NULL;
}

const char *plan_op_name(uint16_t code) {
  const struct op_sig *s = find_sig(code);
  return s ? s->name : "?";
}

struct reader {
  const uint8_t *p;
  size_t left;
};

static int take(struct reader *r, size_t n, const uint8_t **out) {
  if (r->left < n) return -1;
  *out = r->p;
  r->p += n;
  r->left -= n;
  return 0;
}

static int take_u16(struct reader *r, uint16_t *v) {
  const uint8_t *b;
  if (take(r, 2, &b)) return -1;
  *v = (uint16_t)(b[0] | (b[1] << 8));
  return 0;
}

static int take_u32(struct reader *r, uint32_t *v) {
  const uint8_t *b;
  if (take(r, 4, &b)) return -1;
  *v = (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
  return 0;
}

static int take_u64(struct reader *r, uint64_t *v) {
  uint32_t lo, hi;
  if (take_u32(r, &lo) || take_u32(r, &hi)) return -1;
  *v = ((uint64_t)hi << 32) | lo;
  return 0;
}

/* A string: u32 length, bytes, NUL; no NUL inside. Points into the plan buffer. */
static int take_str(struct reader *r, const char **s, uint32_t *len) {
  const uint8_t *b;
  if (take_u32(r, len) || *len > r->left || take(r, (size_t)*len + 1, &b)) return -1;
  if (b[*len] != 0 || memchr(b, 0, *len) != NULL) return -1;
  *s = (const char *)b;
  return 0;
}

static int decode_field(char type, struct reader *r, struct plan_field *f) {
  uint32_t u;
  switch (type) {
  case 'u':
    if (take_u32(r, &u)) return -1;
    f->num = u;
    return 0;
  case 'i':
    if (take_u32(r, &u)) return -1;
    f->num = (uint64_t)(int64_t)(int32_t)u;
    return 0;
  case 'q':
    return take_u64(r, &f->num);
  case 's':
    return take_str(r, &f->str, &f->len);
  case 'b': {
    const uint8_t *b;
    if (take_u32(r, &f->len) || take(r, f->len, &b)) return -1;
    /* copied so that consumers (seccomp's sock_filter) get aligned memory */
    char *copy = malloc(f->len ? f->len : 1);
    if (!copy) return -1;
    memcpy(copy, b, f->len);
    f->str = copy;
    return 0;
  }
  case 'v': {
    if (take_u32(r, &f->len) || f->len > r->left / 5) return -1;
    char **v = calloc((size_t)f->len + 1, sizeof *v);
    if (!v) return -1;
    for (uint32_t i = 0; i < f->len; i++) {
      uint32_t l;
      const char *s;
      if (take_str(r, &s, &l)) return -1;
      v[i] = (char *)s;
    }
    f->strv = v;
    return 0;
  }
  case 'w': {
    if (take_u32(r, &f->len) || f->len > r->left / 4) return -1;
    uint32_t *v = calloc((size_t)f->len + 1, sizeof *v);
    if (!v) return -1;
    for (uint32_t i = 0; i < f->len; i++)
      if (take_u32(r, &v[i])) return -1;
    f->u32v = v;
    return 0;
  }
  default:
    return -1;
  }
}

int plan_decode(const uint8_t *buf, size_t len, struct plan *out, char *err, size_t errlen) {
  struct reader r = {buf, len};
  const uint8_t *magic;
  uint16_t version;
  uint32_t count;

  if (take(&r, 4, &magic) || memcmp(magic, PLAN_MAGIC, 4) != 0) {
    snprintf(err, errlen, "plan: bad magic");
    return -1;
  }
  if (take_u16(&r, &version) || version != PLAN_VERSION) {
    snprintf(err, errlen, "plan: unsupported version");
    return -1;
  }
  if (take_u32(&r, &count) || count > PLAN_MAX_OPS) {
    snprintf(err, errlen, "plan: bad op count");
    return -1;
  }
  struct plan_op *ops = calloc(count ? count : 1, sizeof *ops);
  if (!ops) {
    snprintf(err, errlen, "plan: out of memory");
    return -1;
  }
  for (uint32_t i = 0; i < count; i++) {
    uint16_t code;
    uint32_t plen;
    const uint8_t *payload;
    if (take_u16(&r, &code) || take_u32(&r, &plen) || take(&r, plen, &payload)) {
      snprintf(err, errlen, "plan: op %u: truncated", i);
      return -1;
    }
    const struct op_sig *sig = find_sig(code);
    if (!sig) {
      snprintf(err, errlen, "plan: op %u: unknown op code %u", i, code);
      return -1;
    }
    struct reader pr = {payload, plen};
    struct plan_op *op = &ops[i];
    op->code = code;
    for (const char *t = sig->sig; *t; ) {
      if (op->nfields >= PLAN_MAX_FIELDS) {
        snprintf(err, errlen, "plan: op %u (%s): too many fields", i, sig->name);
        return -1;
      }
      if (decode_field(*t, &pr, &op->f[op->nfields])) {
        snprintf(err, errlen, "plan: op %u (%s): field %u malformed", i, sig->name, op->nfields);
        return -1;
      }
      op->nfields++;
      /* skip ":name" and the separating space */
      while (*t && *t != ' ') t++;
      while (*t == ' ') t++;
    }
    if (pr.left != 0) {
      snprintf(err, errlen, "plan: op %u (%s): %zu trailing bytes", i, sig->name, pr.left);
      return -1;
    }
  }
  if (r.left != 0) {
    snprintf(err, errlen, "plan: %zu trailing bytes", r.left);
    return -1;
  }
  out->count = count;
  out->ops = ops;
  return 0;
}

void plan_free(struct plan *p) {
  for (uint32_t i = 0; i < p->count; i++) {
    struct plan_op *op = &p->ops[i];
    const struct op_sig *sig = find_sig(op->code);
    const char *t = sig ? sig->sig : "";
    for (uint16_t k = 0; k < op->nfields && *t; k++) {
      if (*t == 'b') free((void *)op->f[k].str);
      else if (*t == 'v') free((void *)op->f[k].strv);
      else if (*t == 'w') free((void *)op->f[k].u32v);
      while (*t && *t != ' ') t++;
      while (*t == ' ') t++;
    }
  }
  free(p->ops);
  p->ops = NULL;
  p->count = 0;
}
