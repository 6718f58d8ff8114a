// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The I/O seam of the file store (reliability plan, "Design seams" 1): every
// system call that can fail on the write and read paths goes through a
// FileEnv, so that tests can inject faults (EIO, ENOSPC, short writes,
// fsync failures, rename failures) or pretend to be on NFS. Each member
// behaves like the system call of the same name: it returns -1 and sets
// errno on failure. Production code uses DefaultFileEnv().

#ifndef TOKENCACHE_BACKENDS_FILE_FILE_ENV_H_
#define TOKENCACHE_BACKENDS_FILE_FILE_ENV_H_

#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>

#include <cstddef>

namespace tokencache {
namespace internal {

struct FileEnv {
  int (*openat)(int dir_fd, const char* path, int flags, mode_t mode);
  ssize_t (*read)(int fd, void* buffer, std::size_t size);
  ssize_t (*write)(int fd, const void* buffer, std::size_t size);
  int (*fsync)(int fd);
  int (*fchmod)(int fd, mode_t mode);
  int (*fstat)(int fd, struct stat* st);
  int (*fstatat)(int dir_fd, const char* path, struct stat* st, int flags);
  int (*renameat)(int old_dir_fd, const char* old_path, int new_dir_fd,
                  const char* new_path);
  int (*unlinkat)(int dir_fd, const char* path, int flags);
  int (*mkdirat)(int dir_fd, const char* path, mode_t mode);
  int (*statfs)(const char* path, struct statfs* buffer);
  int (*close)(int fd);
};

// The real system calls.
const FileEnv& DefaultFileEnv();

}  // namespace internal
}  // namespace tokencache

#endif  // TOKENCACHE_BACKENDS_FILE_FILE_ENV_H_
