#include "wa.h"

#include <criterion/criterion.h>
#include <string.h>

static void check(const char *in, size_t n, const char *hex) {
  uint8_t d[32];
  char out[65];
  wa_sha256_once(in, n, d);
  wa_hex(d, 32, out);
  cr_assert_str_eq(out, hex);
}

Test(base_sha256, fips_vectors) {
  check("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  check("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const char *s = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  check(s, strlen(s), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

Test(base_sha256, incremental_equals_one_shot) {
  static uint8_t data[100000];
  for (size_t i = 0; i < sizeof data; i++)
    data[i] = (uint8_t)(i * 31 + 7);
  uint8_t a[32], b[32];
  wa_sha256_once(data, sizeof data, a);
  wa_sha256 s;
  wa_sha256_init(&s);
  for (size_t i = 0; i < sizeof data;) {
    size_t n = (i % 97) + 1;
    if (n > sizeof data - i)
      n = sizeof data - i;
    wa_sha256_update(&s, data + i, n);
    i += n;
  }
  wa_sha256_final(&s, b);
  cr_assert_arr_eq(a, b, 32);
}

Test(base_sha256, million_a) {
  static char m[1000000];
  memset(m, 'a', sizeof m);
  check(m, sizeof m, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

Test(base_sha256, unhex_roundtrip_and_rejects_junk) {
  uint8_t in[4] = {0xde, 0xad, 0xbe, 0xef}, out[4];
  char hex[9];
  wa_hex(in, 4, hex);
  cr_assert_str_eq(hex, "deadbeef");
  cr_assert_eq(wa_unhex(hex, out, 4), 0);
  cr_assert_arr_eq(in, out, 4);
  cr_assert_eq(wa_unhex("deadbeeg", out, 4), -1);
  cr_assert_eq(wa_unhex("deadbeef00", out, 4), -1);
}
