#include "wa.h"

#include <criterion/criterion.h>
#include <string.h>

Test(base_err, first_failure_wins) {
  wa_err e;
  wa_err_init(&e);
  cr_assert_eq(wa_fail(&e, WA_EMALFORMED, 12, "expected %s", "x"), WA_EMALFORMED);
  cr_assert_eq(wa_fail(&e, WA_EIO, 3, "later"), WA_EMALFORMED);
  cr_assert_str_eq(e.msg, "expected x");
  cr_assert_eq(e.off, 12);
}

Test(base_err, wrap_prepends_context_and_format_names_offset) {
  wa_err e;
  wa_err_init(&e);
  wa_fail(&e, WA_EDIGEST, 26, "bad layer");
  wa_err_where(&e, "image.tar");
  wa_err_wrap(&e, "pulling %s: ", "x");
  char buf[256];
  cr_assert_str_eq(wa_err_format(&e, buf, sizeof buf),
                   "image.tar: byte 0x1a (26): pulling x: bad layer");
  cr_assert_str_eq(wa_err_name(WA_EDIGEST), "WA_EDIGEST");
  cr_assert_str_eq(wa_err_text(WA_EDIGEST), "digest mismatch");
  cr_assert_str_eq(wa_err_name(0), "WA_OK");
}

Test(base_err, arena_allocations_are_zeroed_and_aligned) {
  wa_arena a;
  wa_arena_init(&a, 128);
  for (int i = 0; i < 100; i++) {
    uint8_t *p = wa_arena_alloc(&a, (size_t)i * 7 + 1);
    cr_assert_not_null(p);
    cr_assert_eq((uintptr_t)p % 16, 0);
    for (int j = 0; j < i * 7 + 1; j++)
      cr_assert_eq(p[j], 0);
    memset(p, 0xab, (size_t)i * 7 + 1);
  }
  void *big = wa_arena_alloc(&a, 10000);
  cr_assert_not_null(big);
  wa_arena_reset(&a);
  cr_assert_not_null(wa_arena_alloc(&a, 8));
  wa_arena_free(&a);
}

Test(base_err, injected_allocation_failure_is_reported) {
  wa_buf b;
  wa_err e;
  wa_buf_init(&b);
  wa_err_init(&e);
  wa_alloc_fail_after(0);
  cr_assert_eq(wa_buf_append(&b, "x", 1, &e), WA_ENOMEM);
  cr_assert_eq(wa_buf_append(&b, "x", 1, &(wa_err){0}), 0);
  wa_buf_free(&b);
}
