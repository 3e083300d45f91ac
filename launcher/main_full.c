/*
 * main_full.c: main() of the dynamically linked wasmaot (wasmaot-full, or
 * wasmaot itself where the static front is not built): every command, with
 * the compiler, libcurl, libarchive and libcrypto loaded on first use.
 */
#include "internal.h"

#include <stdlib.h>

int main(int argc, char **argv) {
  exit(wl_main(argc, argv));
}
