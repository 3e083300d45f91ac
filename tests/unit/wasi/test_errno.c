#include "internal.h"

#include <criterion/criterion.h>
#include <errno.h>

/* Values of the witx errno enum that programs see as numbers. */
Test(wasi_errno, spec_values_of_common_codes) {
  cr_assert_eq(WI_ESUCCESS, 0);
  cr_assert_eq(WI_E2BIG, 1);
  cr_assert_eq(WI_EACCES, 2);
  cr_assert_eq(WI_EBADF, 8);
  cr_assert_eq(WI_EEXIST, 20);
  cr_assert_eq(WI_EFAULT, 21);
  cr_assert_eq(WI_EINVAL, 28);
  cr_assert_eq(WI_EIO, 29);
  cr_assert_eq(WI_EISDIR, 31);
  cr_assert_eq(WI_ELOOP, 32);
  cr_assert_eq(WI_ENOENT, 44);
  cr_assert_eq(WI_ENOSYS, 52);
  cr_assert_eq(WI_ENOTDIR, 54);
  cr_assert_eq(WI_ENOTEMPTY, 55);
  cr_assert_eq(WI_ENOTSOCK, 57);
  cr_assert_eq(WI_ENOTSUP, 58);
  cr_assert_eq(WI_EPERM, 63);
  cr_assert_eq(WI_EPIPE, 64);
  cr_assert_eq(WI_ESPIPE, 70);
  cr_assert_eq(WI_EXDEV, 75);
  cr_assert_eq(WI_ENOTCAPABLE, 76);
}

Test(wasi_errno, names_cover_zero_to_seventy_six_without_gaps) {
  for (uint32_t v = 0; v <= 76; v++)
    cr_assert_not_null(wi__errno_name(v), "no name for %u", v);
  cr_assert_null(wi__errno_name(77));
  cr_assert_str_eq(wi__errno_name(76), "NOTCAPABLE");
  cr_assert_str_eq(wi__errno_name(44), "NOENT");
}

Test(wasi_errno, every_host_errno_maps_to_its_namesake) {
  struct {
    int host;
    uint32_t wasi;
  } rows[] = {
#define WI__X(name, v) {E##name, v},
      WI_ERRNO_MAP(WI__X)
#undef WI__X
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
    cr_assert_eq(wi__errno(rows[i].host), rows[i].wasi, "host %d (%s)",
                 rows[i].host, wi__errno_name(rows[i].wasi));
}

Test(wasi_errno, aliases_and_unknown_host_codes) {
  cr_assert_eq(wi__errno(0), WI_ESUCCESS);
  cr_assert_eq(wi__errno(EWOULDBLOCK), WI_EAGAIN);
  cr_assert_eq(wi__errno(EOPNOTSUPP), WI_ENOTSUP);
  cr_assert_eq(wi__errno(EDEADLOCK), WI_EDEADLK);
  /* Linux-only codes WASI has no name for. */
  cr_assert_eq(wi__errno(EREMOTEIO), WI_EIO);
  cr_assert_eq(wi__errno(ENOMEDIUM), WI_EIO);
  cr_assert_eq(wi__errno(-5), WI_EIO);
}
