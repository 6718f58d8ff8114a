// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The file BlobStore: the whole cache in one file, byte for byte what the
// caller stores (for example an MSAL JSON cache shared with MSAL apps).
//
// Every Write makes a new file: a temp file with a random name is created
// next to the cache (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600), filled,
// fsync'ed, renamed over the cache, and the directory is fsync'ed. A
// failure at any step leaves the previous file untouched, and a temp file
// is never renamed after a failed write or fsync. Readers therefore see
// the old or the new file whole. Missing directories are created 0700.
// Symbolic links at the cache path, or where the cache's directory should
// be, are refused. Temp files left by a crashed writer (their name embeds
// the writer's pid) are removed on Open and on each Write.
//
// Versions: a version is the file's (st_dev, st_ino, st_size, st_mtim,
// st_ctim). Our writes make a new inode each time; a foreign in-place
// write (MSAL apps write in place) changes size, mtime or ctime, and ctime
// cannot be set from user space, so resetting mtime with utimensat does not
// hide a write. PeekVersion is one fstatat() call. Residual risk: a foreign
// in-place write of the same size in the same ctime clock tick as the
// previous change; Linux >= 6.13 uses fine-grained ctimes once a ctime has
// been observed (multigrain timestamps on ext4, xfs, btrfs, tmpfs), which
// closes that gap on those file systems.
//
// Thread safety: all methods may be called from several threads at once.
// Exclusion between writers is the caller's job (a Lock, see
// file_lock.h); Write with `expected` refuses a stale write (kConflict).

#ifndef TOKENCACHE_BACKENDS_FILE_H_
#define TOKENCACHE_BACKENDS_FILE_H_

#include <filesystem>
#include <memory>

#include "tokencache/blob_store.h"
#include "tokencache/export.h"
#include "tokencache/status.h"

namespace tokencache {

struct FileStoreOptions {
  // Refuse (kNotSupported) a cache on a network file system (NFS, SMB,
  // CIFS, SMB2, FUSE, detected with statfs), where rename and locks may not
  // be atomic or coherent between machines. When false, such a cache is
  // allowed; IsOnNetworkFilesystem() lets a caller warn about it.
  // Default: false.
  bool refuse_network_fs = false;

  // Create missing parent directories (mode 0700). When false, a missing
  // directory makes Open fail with kNotFound.
  // Default: true.
  bool create_parent_directories = true;
};

class TOKENCACHE_EXPORT FileBlobStore {
 public:
  FileBlobStore() = delete;

  // Opens the store for the cache file at `path` (created by the first
  // Write; Read returns nullopt until then) and removes temp files that
  // crashed writers left next to it.
  //
  // Errors: kInvalidArgument for a path without a file name;
  // kPermissionDenied when the cache file or its directory is a symbolic
  // link (message says "symlink refused") or the OS denies access;
  // kNotSupported on a network file system with refuse_network_fs;
  // kNotFound when the directory is missing and may not be created;
  // kIoError for other OS failures.
  //
  // The returned store's methods: Read returns kUnavailable when the file
  // kept changing while it was read (a foreign in-place writer; retry),
  // kPermissionDenied for a symlink at the cache path; Write returns
  // kConflict for a stale `expected`, kResourceExhausted when the disk,
  // quota or file-size limit is reached, kIoError otherwise, and in every
  // failure case the previous file is intact.
  static Result<std::unique_ptr<BlobStore>> Open(
      const std::filesystem::path& path,
      const FileStoreOptions& options = FileStoreOptions());
};

// Returns true when `path` (or its nearest existing ancestor) is on a
// network file system as defined for refuse_network_fs. Errors: kIoError.
TOKENCACHE_EXPORT Result<bool> IsOnNetworkFilesystem(
    const std::filesystem::path& path);

}  // namespace tokencache

#endif  // TOKENCACHE_BACKENDS_FILE_H_
