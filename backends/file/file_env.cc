// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "backends/file/file_env.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

namespace tokencache {
namespace internal {
namespace {

int RealOpenat(int dir_fd, const char* path, int flags, mode_t mode) {
  return ::openat(dir_fd, path, flags, mode);
}
ssize_t RealRead(int fd, void* buffer, std::size_t size) {
  return ::read(fd, buffer, size);
}
ssize_t RealWrite(int fd, const void* buffer, std::size_t size) {
  return ::write(fd, buffer, size);
}
int RealFsync(int fd) { return ::fsync(fd); }
int RealFchmod(int fd, mode_t mode) { return ::fchmod(fd, mode); }
int RealFstat(int fd, struct stat* st) { return ::fstat(fd, st); }
int RealFstatat(int dir_fd, const char* path, struct stat* st, int flags) {
  return ::fstatat(dir_fd, path, st, flags);
}
int RealRenameat(int old_dir_fd, const char* old_path, int new_dir_fd,
                 const char* new_path) {
  return ::renameat(old_dir_fd, old_path, new_dir_fd, new_path);
}
int RealUnlinkat(int dir_fd, const char* path, int flags) {
  return ::unlinkat(dir_fd, path, flags);
}
int RealMkdirat(int dir_fd, const char* path, mode_t mode) {
  return ::mkdirat(dir_fd, path, mode);
}
int RealStatfs(const char* path, struct statfs* buffer) {
  return ::statfs(path, buffer);
}
int RealClose(int fd) { return ::close(fd); }

}  // namespace

const FileEnv& DefaultFileEnv() {
  static const FileEnv env = {
      RealOpenat, RealRead,     RealWrite,    RealFsync,
      RealFchmod, RealFstat,    RealFstatat,  RealRenameat,
      RealUnlinkat, RealMkdirat, RealStatfs,  RealClose,
  };
  return env;
}

}  // namespace internal
}  // namespace tokencache
