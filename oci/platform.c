/*
 * platform.c: "os/arch[/variant]" strings and the choice of a manifest from
 * an index. Matching is exact on lower-cased os and arch, as in containerd;
 * without an explicit platform the Wasm platforms below are tried in order.
 */
#include "internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Preference order when no platform is asked for. wasip2 (components) is
 * not here: the runtime implements preview 1. */
static const struct {
  const char *os, *arch;
} wasm_platforms[] = {{"wasip1", "wasm"},
                      {"wasip1", "wasm32"},
                      {"wasi", "wasm"},
                      {"wasi", "wasm32"}};
#define N_WASM (sizeof wasm_platforms / sizeof wasm_platforms[0])

static int copy_part(const char *s, size_t n, char *out, size_t cap,
                     const char *all, const char *part, wa_err *err) {
  if (n == 0 || n >= cap)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF,
                   "platform '%s': %s is empty or too long (expected "
                   "OS/ARCH[/VARIANT], like wasip1/wasm)",
                   all, part);
  for (size_t i = 0; i < n; i++) {
    char c = (char)tolower((unsigned char)s[i]);
    if (!isalnum((unsigned char)c) && c != '_' && c != '-' && c != '.')
      return wa_fail(err, WA_EUSAGE, WA_NOOFF,
                     "platform '%s': invalid character in %s", all, part);
    out[i] = c;
  }
  out[n] = 0;
  return 0;
}

int wo_platform_parse(const char *s, wo_platform *out, wa_err *err) {
  memset(out, 0, sizeof *out);
  const char *a = strchr(s, '/');
  if (!a)
    return wa_fail(
        err, WA_EUSAGE, WA_NOOFF,
        "platform '%s': expected OS/ARCH[/VARIANT], like wasip1/wasm", s);
  const char *v = strchr(a + 1, '/');
  if (copy_part(s, (size_t)(a - s), out->os, sizeof out->os, s, "the os",
                err) ||
      copy_part(a + 1, v ? (size_t)(v - a - 1) : strlen(a + 1), out->arch,
                sizeof out->arch, s, "the architecture", err))
    return err->code;
  if (v && copy_part(v + 1, strlen(v + 1), out->variant, sizeof out->variant, s,
                     "the variant", err))
    return err->code;
  if (v && strchr(v + 1, '/'))
    return wa_fail(err, WA_EUSAGE, WA_NOOFF,
                   "platform '%s': too many parts (expected OS/ARCH[/VARIANT])",
                   s);
  return 0;
}

const char *wo_platform_str(const wo_platform *p, char *buf, size_t n) {
  snprintf(buf, n, "%s/%s%s%s", p->os[0] ? p->os : "?",
           p->arch[0] ? p->arch : "?", p->variant[0] ? "/" : "", p->variant);
  return buf;
}

bool wo_platform_is_wasm(const wo_platform *p) {
  for (size_t i = 0; i < N_WASM; i++)
    if (strcmp(p->os, wasm_platforms[i].os) == 0 &&
        strcmp(p->arch, wasm_platforms[i].arch) == 0)
      return true;
  return false;
}

static bool matches(const wo_platform *have, const char *os, const char *arch,
                    const char *variant) {
  return strcmp(have->os, os) == 0 && strcmp(have->arch, arch) == 0 &&
         (!variant[0] || strcmp(have->variant, variant) == 0);
}

static int not_found(const wo_index *idx, const wo_platform *want,
                     const char *what, wa_err *err) {
  char offers[200] = "", wanted[96], one[100];
  size_t used = 0;
  for (size_t i = 0; i < idx->n_manifests; i++) {
    const wo_desc *d = &idx->manifests[i];
    if (d->has_platform)
      wo_platform_str(&d->platform, one, sizeof one);
    else
      snprintf(one, sizeof one, "(no platform)");
    int w = snprintf(offers + used, sizeof offers - used, "%s%s",
                     used ? ", " : "", one);
    if (w < 0 || (size_t)w >= sizeof offers - used) {
      snprintf(offers + sizeof offers - 5, 5, "...");
      break;
    }
    used += (size_t)w;
  }
  if (want)
    wo_platform_str(want, wanted, sizeof wanted);
  else
    snprintf(wanted, sizeof wanted,
             "a Wasm platform (wasip1/wasm, wasip1/wasm32, wasi/wasm, "
             "wasi/wasm32)");
  return wa_fail(err, WA_ENOTFOUND, WA_NOOFF,
                 "%s: no manifest for %s; the index offers: %s%s", what, wanted,
                 idx->n_manifests ? offers : "nothing",
                 idx->n_manifests ? " (choose one with --platform)" : "");
}

int wo_platform_select(const wo_index *idx, const wo_platform *want,
                       const char *what, const wo_desc **out, wa_err *err) {
  *out = NULL;
  if (want) {
    for (size_t i = 0; i < idx->n_manifests; i++) {
      const wo_desc *d = &idx->manifests[i];
      if (d->has_platform &&
          matches(&d->platform, want->os, want->arch, want->variant)) {
        *out = d;
        return 0;
      }
    }
    return not_found(idx, want, what, err);
  }
  for (size_t k = 0; k < N_WASM; k++)
    for (size_t i = 0; i < idx->n_manifests; i++) {
      const wo_desc *d = &idx->manifests[i];
      if (d->has_platform && matches(&d->platform, wasm_platforms[k].os,
                                     wasm_platforms[k].arch, ""))
        *out = d;
      if (*out)
        return 0;
    }
  /* An index of one entry without a platform says nothing to choose by. */
  if (idx->n_manifests == 1 && !idx->manifests[0].has_platform) {
    *out = &idx->manifests[0];
    return 0;
  }
  return not_found(idx, NULL, what, err);
}
