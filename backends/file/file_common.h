// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// What the file stores share (the whole-file FileBlobStore and the
// FileJournalStore): errno mapping, opening the cache's directory safely,
// and the temp files a writer makes next to its cache.

#ifndef TOKENCACHE_BACKENDS_FILE_FILE_COMMON_H_
#define TOKENCACHE_BACKENDS_FILE_FILE_COMMON_H_

#include <filesystem>
#include <string>

#include "backends/file/file_env.h"
#include "tokencache/status.h"

namespace tokencache {
namespace internal {

// kResourceExhausted for a full disk, quota or file-size limit,
// kPermissionDenied for EACCES/EPERM/ELOOP, kNotFound, else kIoError.
Code CodeForErrno(int err);

// "<what> '<path>': <strerror>", coded by CodeForErrno; ELOOP says
// "symlink refused".
Status OsError(const std::string& what, const std::string& path, int err);

Status SymlinkRefused(const std::string& path);

// Whether `path` (or its nearest existing ancestor) is on a network file
// system (IsNetworkFsType). Errors: kIoError.
Result<bool> NetworkCheck(const FileEnv& env,
                          const std::filesystem::path& path);

// 16 lowercase hex digits from libsodium's CSPRNG.
std::string RandomHex();

// The directory a cache file lives in, opened O_DIRECTORY|O_NOFOLLOW.
struct CacheDirectory {
  int fd = -1;
  std::string dir;   // Absolute path of the directory.
  std::string name;  // The cache file's name in it.
};

// Resolves `path` to an absolute file path, refuses a network file system
// when asked (before creating anything), creates missing directories 0700
// when allowed, and opens the directory, refusing a symlink there.
// Errors: kInvalidArgument (no file name), kNotSupported (network file
// system), kNotFound (missing directory, not to be created),
// kPermissionDenied (symlink), kIoError.
Result<CacheDirectory> OpenCacheDirectory(const std::filesystem::path& path,
                                          bool refuse_network_fs,
                                          bool create_parent_directories,
                                          const FileEnv& env);

// Creates a fresh temp file "<prefix><pid>.<random>" in `dir_fd`
// (O_CREAT|O_EXCL|O_NOFOLLOW, mode exactly 0600) open for writing and
// registers its name as in flight, so that CleanTemps in this process
// leaves it alone until ReleaseTemp. Errors as OsError; `for_path` names
// the cache in messages.
Result<int> CreateTemp(const FileEnv& env, int dir_fd,
                       const std::string& prefix, const std::string& for_path,
                       std::string* temp_name);
void ReleaseTemp(const std::string& temp_name);

// Removes temp files with `prefix` left by dead writers (their pid is in
// the name), by this process outside a write, or older than ten minutes.
// Best effort: never fails.
void CleanTemps(const FileEnv& env, int dir_fd, const std::string& prefix);

}  // namespace internal
}  // namespace tokencache

#endif  // TOKENCACHE_BACKENDS_FILE_FILE_COMMON_H_
