/*
 * get.c: wk_get, the launcher's entry point. Hit: open, verify, mark used.
 * Miss or damage: take the key's fill lock, look again (another process
 * may have filled it while we waited), remove what is damaged, fill,
 * check, publish, reopen, then trim the cache to its limit.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void note_repair(wa_err *warning, const wa_err *why) {
  char buf[sizeof why->msg + sizeof why->what + 32];
  if (!warning || warning->code)
    return;
  wa_err_format(why, buf, sizeof buf);
  wa_fail(warning, why->code, WA_NOOFF,
          "removed a damaged cache entry and compiled it again: %s", buf);
}

/* Users of the damaged file keep their mapping; the name goes. Apart from
 * wk_get (and its path on the heap) so that a hit's stack stays shallow. */
static int remove_damaged(wk_cache *c, const wk_key *k, wa_err *err) {
  size_t n = wk__key_path_size(c, WK_ENTRY_SUFFIX);
  char *path = wa_malloc(n);
  int rc;
  if (!path)
    return wa_fail(err, WA_ENOMEM, WA_NOOFF, "out of memory");
  if ((rc = wk__key_path(c, k, WK_ENTRY_SUFFIX, path, n, err)) == 0) {
    wk__stamp_remove(path);
    if (unlink(path) != 0 && errno != ENOENT)
      rc = wa_fail_errno(err, WA_EIO, "cannot remove damaged entry %s", path);
  }
  wa_free(path);
  return rc;
}

/* Fills the key, publishes it and opens the result. Caller holds the lock. */
static int fill_publish(wk_cache *c, const wk_key *k, const wk__want *want,
                        wk_fill_fn fill, void *ud, wk_entry **out,
                        wa_err *err) {
  char hex[65];
  wa_buf art;
  wa_buf_init(&art);
  wk_key_hex(k, hex);
  int rc = wk__remove_temps(c, k, err);
  if (rc)
    goto out;
  if ((rc = fill(ud, k, &art, err)) != 0) {
    if (rc > 0 || err->code == 0) /* a callback that forgot the error */
      rc = wa_fail(err, WA_EINTERNAL, WA_NOOFF, "fill callback failed");
    wa_err_wrap(err, "filling cache entry %.16s: ", hex);
    goto out;
  }
  /* A wrong artifact stored under this key would be loaded by every later
   * hit's caller, so it is checked before it is published. */
  if ((rc = wk__check_meta(c, k, art.data, art.len, "new artifact", want,
                           err)) != 0) {
    if (wk__repairable(rc))
      err->code = rc = WA_EMISMATCH;
    wa_err_wrap(err, "filling cache entry %.16s: ", hex);
    goto out;
  }
  if ((rc = wk__publish(c, k, want->module_sha256,
                        art.data ? art.data : (const uint8_t *)"", art.len, 0,
                        err)) != 0)
    goto out;
  if ((rc = wk__entry_open(c, k, want, out, err)) != 0) {
    wa_err_wrap(err, "reopening the new cache entry: ");
    goto out;
  }
  (*out)->filled = true;
out:
  wa_buf_free(&art);
  return rc;
}

/* A miss or a damaged entry: under the key's fill lock, look again (another
 * process may have filled or repaired it while we waited), remove what is
 * damaged, fill, publish, then trim. Not inlined: its lock (a PATH_MAX
 * path) and error buffers stay off the stack of a hit. */
__attribute__((noinline)) static int
get_locked(wk_cache *c, const wk_key *k, const wk__want *want, const char *hex,
           wk_fill_fn fill, void *ud, wk_entry **out, wa_err *warning,
           wa_err *err) {
  wk__lock l = {.fd = -1};
  wk_entry *e = NULL;
  wa_err again;
  int rc;
  if ((rc = wk__key_lock(c, k, false, &l, err)) != 0)
    return rc;
  wa_err_init(&again);
  rc = wk__entry_open(c, k, want, &e, &again);
  if (rc == 0) { /* another process filled or repaired it while we waited */
    wk__key_unlock(&l);
    *out = e;
    return 0;
  }
  if (wk__repairable(rc)) {
    if ((rc = remove_damaged(c, k, err)))
      goto out;
    note_repair(warning, &again);
  } else if (rc != WA_ENOTFOUND) {
    *err = again;
    goto out;
  }
  if (!fill) {
    rc = wa_fail(err, WA_ENOTFOUND, WA_NOOFF, "no cache entry %.16s", hex);
    goto out;
  }
  if ((rc = fill_publish(c, k, want, fill, ud, &e, err)) != 0)
    goto out;
  wk__key_unlock(&l);
  /* Trimming never removes e: we hold its shared lock. */
  wk_gc_report rep;
  wa_err gc_err;
  wa_err_init(&gc_err);
  if (wk_gc(c, WK_LIMIT_CONFIGURED, &rep, &gc_err) != 0 && warning &&
      !warning->code) {
    *warning = gc_err;
    wa_err_wrap(warning, "trimming the cache: ");
  }
  *out = e;
  return 0;
out:
  wk__key_unlock(&l);
  return rc;
}

int wk_get(wk_cache *c, const uint8_t module_sha256[32], const wk_config *cfg,
           wk_fill_fn fill, void *ud, wk_entry **out, wa_err *warning,
           wa_err *err) {
  wk_key k;
  wk_entry *e = NULL;
  wa_err first;
  char hex[65];
  int rc;
  *out = NULL;
  if (warning)
    wa_err_init(warning);
  if ((rc = wk_key_compute(module_sha256, cfg, &k, err)) != 0)
    return rc;
  if (!c->read_meta)
    return wa_fail(err, WA_EUSAGE, WA_NOOFF,
                   "the cache was opened without a metadata reader");
  wk__want want = {module_sha256, cfg, true, true};
  wk_key_hex(&k, hex);

  wa_err_init(&first);
  rc = wk__entry_open(c, &k, &want, &e, &first);
  if (rc != 0) {
    if (rc != WA_ENOTFOUND && !wk__repairable(rc)) {
      *err = first;
      return rc;
    }
    if (!fill && rc == WA_ENOTFOUND)
      return wa_fail(err, WA_ENOTFOUND, WA_NOOFF, "no cache entry %.16s", hex);
    if ((rc = get_locked(c, &k, &want, hex, fill, ud, &e, warning, err)))
      return rc;
  }
  wk__mark_used(e);
  *out = e;
  return 0;
}

int wk_open_key(wk_cache *c, const wk_key *key, wk_entry **out, wa_err *err) {
  wk__want want = {.check_meta = c->read_meta != NULL};
  *out = NULL;
  return wk__entry_open(c, key, &want, out, err);
}
