// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// DirectoryBlobStore keeps each cache as one file in a directory:
// "<dir>/<name>.cache". The file starts with a line "tcdir <generation>\n"
// and then holds the serialized cache. The generation is the store's
// version: it grows by one with every write, so a writer that loaded an
// older one is refused with kConflict.
//
// A write goes to a temporary file in the same directory, is flushed with
// fsync, and renamed over the old file; readers see the old or the new
// contents, never a mix, and a failed write leaves the old file in place.
// Files are created 0600 and the directory 0700.
//
// Thread safety: a store may be used from several threads. Writers in
// other processes (or other handles) are excluded by the cache lock, as
// BlobStore requires; the generation check runs under it.

#ifndef EXAMPLES_CUSTOM_BACKEND_DIRECTORY_BLOB_STORE_H_
#define EXAMPLES_CUSTOM_BACKEND_DIRECTORY_BLOB_STORE_H_

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "tokencache/blob_store.h"
#include "tokencache/registry.h"
#include "tokencache/status.h"

namespace example {

class DirectoryBlobStore final : public tokencache::BlobStore {
 public:
  // Creates `dir` (0700) if it is missing. `name` must be a plain file
  // name part: letters, digits, '-', '_' and '.', not starting with '.'.
  // Errors: kInvalidArgument for a bad name, kIoError or
  // kPermissionDenied when the directory cannot be made.
  static tokencache::Result<std::unique_ptr<DirectoryBlobStore>> Open(
      const std::filesystem::path& dir, std::string_view name);

  std::string_view Name() const override { return "dirstore"; }

  const std::filesystem::path& path() const { return path_; }

 protected:
  tokencache::Result<std::optional<tokencache::Blob>> DoRead() override;
  tokencache::Result<tokencache::BlobVersion> DoPeekVersion() override;
  tokencache::Result<tokencache::BlobVersion> DoWrite(
      std::string_view bytes,
      const std::optional<tokencache::BlobVersion>& expected) override;

 private:
  DirectoryBlobStore(std::filesystem::path dir, std::filesystem::path path)
      : dir_(std::move(dir)), path_(std::move(path)) {}

  // Reads the header (and the body when `body` is set). nullopt: no file.
  tokencache::Result<std::optional<tokencache::Blob>> Load(bool body);

  std::filesystem::path dir_;
  std::filesystem::path path_;
  std::mutex write_mu_;  // Orders this handle's writers.
};

// Registers the "dirstore" scheme: dirstore:///dir?name=cache opens
// <dir>/<name>.cache (name defaults to "msal_cache") as MSAL JSON, with a
// file lock <dir>/<name>.lock. Returns the registry's error (kConflict when
// the scheme is taken).
tokencache::Status RegisterDirectoryBackend(
    tokencache::BackendRegistry& registry);

}  // namespace example

#endif  // EXAMPLES_CUSTOM_BACKEND_DIRECTORY_BLOB_STORE_H_
