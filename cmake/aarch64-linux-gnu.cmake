# CMake toolchain file: Linux on AArch64 with Debian's cross compiler
# (gcc-aarch64-linux-gnu) and arm64 multiarch libraries (libelf-dev:arm64,
# ...), which install beside the host's under /usr/lib/aarch64-linux-gnu.
# tests/cross/run.sh installs both.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(WA_CROSS_TRIPLE aarch64-linux-gnu)

set(CMAKE_C_COMPILER ${WA_CROSS_TRIPLE}-gcc)
set(CMAKE_AR ${WA_CROSS_TRIPLE}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${WA_CROSS_TRIPLE}-ranlib CACHE FILEPATH "")
set(CMAKE_OBJCOPY ${WA_CROSS_TRIPLE}-objcopy CACHE FILEPATH "")

# Multiarch: headers are shared with the host in /usr/include (the arch-
# specific ones under /usr/include/aarch64-linux-gnu, which the cross gcc
# searches), libraries in /usr/lib/aarch64-linux-gnu. No sysroot.
set(CMAKE_LIBRARY_ARCHITECTURE ${WA_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH /usr/${WA_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# pkg-config must read the arm64 .pc files only, never the host's.
set(ENV{PKG_CONFIG_LIBDIR}
    /usr/lib/${WA_CROSS_TRIPLE}/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")

# Test executables run through qemu (Debian's qemu-user).
find_program(WA_QEMU NAMES qemu-aarch64 qemu-aarch64-static)
if(WA_QEMU)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${WA_QEMU})
endif()
