// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Private entry points of the file store for tests: open with a custom
// FileEnv (fault injection) and the temp-file naming rule.

#ifndef TOKENCACHE_BACKENDS_FILE_FILE_BLOB_STORE_H_
#define TOKENCACHE_BACKENDS_FILE_FILE_BLOB_STORE_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "backends/file/file_env.h"
#include "tokencache/backends/file.h"
#include "tokencache/blob_store.h"

namespace tokencache {
namespace internal {

// FileBlobStore::Open with every system call going through `env`, which
// must outlive the store.
Result<std::unique_ptr<BlobStore>> OpenFileBlobStore(
    const std::filesystem::path& path, const FileStoreOptions& options,
    const FileEnv& env);

// Temp files of cache "<name>" are ".<name>.tmp.<pid>.<16 hex digits>".
std::string TempPrefix(const std::string& cache_name);

// True for the statfs f_type of NFS, SMB, CIFS, SMB2 and FUSE.
bool IsNetworkFsType(std::uint64_t f_type);

}  // namespace internal
}  // namespace tokencache

#endif  // TOKENCACHE_BACKENDS_FILE_FILE_BLOB_STORE_H_
