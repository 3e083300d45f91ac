#include "wa.h"

#include <criterion/criterion.h>

Test(base_buf, leb128_encodings) {
  wa_buf b;
  wa_err e;
  wa_buf_init(&b);
  wa_err_init(&e);
  cr_assert_eq(wa_buf_uleb(&b, 624485, &e), 0);
  cr_assert_eq(wa_buf_sleb(&b, -123456, &e), 0);
  cr_assert_eq(wa_buf_sleb(&b, 63, &e), 0);
  cr_assert_eq(wa_buf_sleb(&b, 64, &e), 0);
  uint8_t want[] = {0xe5, 0x8e, 0x26, 0xc0, 0xbb, 0x78, 0x3f, 0xc0, 0x00};
  cr_assert_eq(b.len, sizeof want);
  cr_assert_arr_eq(b.data, want, sizeof want);
  wa_buf_free(&b);
}

Test(base_buf, printf_and_take) {
  wa_buf b;
  wa_err e;
  wa_buf_init(&b);
  wa_err_init(&e);
  for (int i = 0; i < 1000; i++)
    cr_assert_eq(wa_buf_printf(&b, &e, "%d,", i), 0);
  size_t n;
  uint8_t *p = wa_buf_take(&b, &n);
  cr_assert_eq(b.data, NULL);
  cr_assert_eq(memcmp(p, "0,1,2,", 6), 0);
  cr_assert_eq(n, 3890);
  wa_free(p);
}
