// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Test-only BlobStores: one in memory whose state the test can inspect and
// tamper with after handing the store to the decorator, and one that keeps
// its blob in a real file so tests can scan what reached the disk.

#ifndef TOKENCACHE_TESTS_CRYPTO_TEST_STORES_H_
#define TOKENCACHE_TESTS_CRYPTO_TEST_STORES_H_

#include <stdio.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tokencache/blob_store.h"

namespace tokencache {
namespace test {

// What a MemoryBlobStore holds; shared with the test.
struct MemoryState {
  std::optional<std::string> bytes;
  std::uint64_t generation = 0;
  int writes = 0;  // successful writes
};

class MemoryBlobStore final : public BlobStore {
 public:
  explicit MemoryBlobStore(std::shared_ptr<MemoryState> state)
      : state_(std::move(state)) {}
  std::string_view Name() const override { return "test-memory"; }

 protected:
  Result<std::optional<Blob>> DoRead() override {
    if (!state_->bytes.has_value()) return std::optional<Blob>();
    Blob blob;
    blob.bytes = SecretBytes(*state_->bytes);
    blob.version = Version();
    return std::optional<Blob>(std::move(blob));
  }
  Result<BlobVersion> DoWrite(
      std::string_view bytes,
      const std::optional<BlobVersion>& expected) override {
    if (expected.has_value() && *expected != Version()) {
      return Status(Code::kConflict, "stale version");
    }
    state_->bytes = std::string(bytes);
    ++state_->generation;
    ++state_->writes;
    return Version();
  }

 private:
  BlobVersion Version() const {
    if (!state_->bytes.has_value()) return BlobVersion{};
    return BlobVersion{std::to_string(state_->generation)};
  }
  std::shared_ptr<MemoryState> state_;
};

// Keeps the blob in `path` (write to a temp file, rename over). Versions
// are an in-memory generation counter: enough for single-process tests.
class DiskBlobStore final : public BlobStore {
 public:
  explicit DiskBlobStore(std::filesystem::path path) : path_(std::move(path)) {}
  std::string_view Name() const override { return "test-disk"; }

 protected:
  Result<std::optional<Blob>> DoRead() override {
    std::ifstream in(path_, std::ios::binary);
    if (!in) return std::optional<Blob>();
    std::string bytes((std::istreambuf_iterator<char>(in)),
                      std::istreambuf_iterator<char>());
    Blob blob;
    blob.bytes = SecretBytes(bytes);
    blob.version = BlobVersion{std::to_string(generation_)};
    return std::optional<Blob>(std::move(blob));
  }
  Result<BlobVersion> DoWrite(std::string_view bytes,
                              const std::optional<BlobVersion>&) override {
    std::filesystem::path temp = path_;
    temp += ".tmp";
    {
      std::ofstream out(temp, std::ios::binary | std::ios::trunc);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      if (!out) return Status(Code::kIoError, "test write failed");
    }
    std::filesystem::rename(temp, path_);
    ++generation_;
    return BlobVersion{std::to_string(generation_)};
  }

 private:
  std::filesystem::path path_;
  std::uint64_t generation_ = 0;
};

inline bool IsRegularNoFollow(const std::filesystem::directory_entry& entry) {
  return std::filesystem::is_regular_file(entry.symlink_status());
}

// Returns the paths of all regular files under `dir`.
inline std::vector<std::filesystem::path> FilesUnder(
    const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    // Not following symlinks: a link to a file is not a file we wrote.
    if (IsRegularNoFollow(entry)) files.push_back(entry.path());
  }
  return files;
}

inline std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

// Counts files under `dir` that contain `needle` anywhere.
inline int FilesContaining(const std::filesystem::path& dir,
                           std::string_view needle) {
  int hits = 0;
  for (const auto& file : FilesUnder(dir)) {
    if (ReadAll(file).find(needle) != std::string::npos) ++hits;
  }
  return hits;
}

// Appends one JSON line to $TOKENCACHE_RELIABILITY_REPORT when it is set,
// so harness runs can collect the figures the reliability plan asks for.
inline void ReportFigure(const std::string& json_line) {
  const char* path = std::getenv("TOKENCACHE_RELIABILITY_REPORT");
  if (path == nullptr || *path == '\0') return;
  std::ofstream out(path, std::ios::app);
  out << json_line << "\n";
}

}  // namespace test
}  // namespace tokencache

#endif  // TOKENCACHE_TESTS_CRYPTO_TEST_STORES_H_
