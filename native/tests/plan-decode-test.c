/* Decoder test tool. `plan-decode-test FILE` prints the decoded plan one op per line in the same
 * canonical text as the TypeScript describePlan(); `plan-decode-test --fuzz FILE` decodes every
 * truncation and single-byte corruption of FILE (under ASan/UBSan) and must never crash. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

static const char *sig_of(uint16_t code) {
  switch (code) {
#define PLAN_OP(c, name, sig) case c: return sig;
#include "plan-ops.def"
#undef PLAN_OP
  }
  return "";
}

static void print_json_string(const char *s) {
  putchar('"');
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\') printf("\\%c", ch);
    else if (ch == '\n') printf("\\n");
    else if (ch == '\t') printf("\\t");
    else if (ch < 0x20) printf("\\u%04x", ch);
    else putchar(ch);
  }
  putchar('"');
}

static void dump(const struct plan *p) {
  for (uint32_t i = 0; i < p->count; i++) {
    const struct plan_op *op = &p->ops[i];
    printf("%s", plan_op_name(op->code));
    const char *t = sig_of(op->code);
    for (uint16_t k = 0; k < op->nfields; k++) {
      while (*t == ' ') t++;
      char type = t[0];
      const char *name = t + 2;
      int nlen = 0;
      while (name[nlen] && name[nlen] != ' ') nlen++;
      printf(" %.*s=", nlen, name);
      const struct plan_field *f = &op->f[k];
      switch (type) {
      case 'u': printf("%" PRIu32, (uint32_t)f->num); break;
      case 'i': printf("%" PRId32, (int32_t)f->num); break;
      case 'q': printf("%" PRIu64, f->num); break;
      case 's': print_json_string(f->str); break;
      case 'b': printf("<%" PRIu32 " bytes>", f->len); break;
      case 'v':
        putchar('[');
        for (uint32_t j = 0; j < f->len; j++) {
          if (j) putchar(',');
          print_json_string(f->strv[j]);
        }
        putchar(']');
        break;
      case 'w':
        putchar('[');
        for (uint32_t j = 0; j < f->len; j++) printf("%s%" PRIu32, j ? "," : "", f->u32v[j]);
        putchar(']');
        break;
      }
      t = name + nlen;
    }
    putchar('\n');
  }
}

static uint8_t *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *buf = malloc((size_t)n + 1);
  if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) return NULL;
  fclose(f);
  *len = (size_t)n;
  return buf;
}

int main(int argc, char **argv) {
  char err[256];
  struct plan p;
  size_t len;
  if (argc == 3 && strcmp(argv[1], "--fuzz") == 0) {
    uint8_t *buf = slurp(argv[2], &len);
    if (!buf) return 2;
    size_t rejected = 0, accepted = 0;
    for (size_t cut = 0; cut < len; cut++) {
      uint8_t *copy = malloc(cut ? cut : 1);
      memcpy(copy, buf, cut);
      if (plan_decode(copy, cut, &p, err, sizeof err) == 0) accepted++;
      else rejected++;
      free(copy);
    }
    for (size_t at = 0; at < len; at++) {
      for (int delta = 1; delta < 256; delta += 37) {
        uint8_t *copy = malloc(len);
        memcpy(copy, buf, len);
        copy[at] = (uint8_t)(copy[at] + delta);
        if (plan_decode(copy, len, &p, err, sizeof err) == 0) accepted++;
        else rejected++;
        free(copy);
      }
    }
    printf("truncations and corruptions: %zu rejected, %zu accepted\n", rejected, accepted);
    return 0;
  }
  if (argc != 2) return 2;
  uint8_t *buf = slurp(argv[1], &len);
  if (!buf) return 2;
  if (plan_decode(buf, len, &p, err, sizeof err)) {
    printf("error: %s\n", err);
    return 1;
  }
  dump(&p);
  return 0;
}
