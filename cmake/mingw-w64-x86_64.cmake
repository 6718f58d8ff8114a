# Copyright 2026 The tokencache Authors.
# SPDX-License-Identifier: Apache-2.0
#
# Cross-compiling for 64-bit Windows with Debian's mingw-w64, tests run
# under wine (platform-notes.md section 2). Used by scripts/windows-tests.sh
# with tests/windows/ as the source tree:
#   cmake -S tests/windows -B build-windows \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64-x86_64.cmake
# The -posix compilers are required: the default win32 thread model of GCC
# 12 has no std::thread or std::mutex.

set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc-posix)
set(CMAKE_CXX_COMPILER x86_64-w64-mingw32-g++-posix)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# ctest and catch_discover_tests run the .exe files through wine64 (called
# directly: the /usr/bin/wine wrapper warns about wine32 on every call).
set(CMAKE_CROSSCOMPILING_EMULATOR /usr/lib/wine/wine64)
# Static libgcc, libstdc++ and winpthread: the .exe needs no DLLs from the
# mingw tree at run time.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
