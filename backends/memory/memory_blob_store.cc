// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "backends/memory/memory_blob_store.h"

#include <string>
#include <utility>

namespace tokencache {
namespace {

// Generation 0 is "nothing stored", the empty version of blob_store.h.
BlobVersion VersionOf(std::uint64_t generation) {
  if (generation == 0) return BlobVersion{};
  return BlobVersion{"gen:" + std::to_string(generation)};
}

}  // namespace

Result<std::optional<Blob>> MemoryBlobStore::DoRead() {
  std::lock_guard<std::mutex> guard(slot_->mu);
  if (!slot_->bytes.has_value()) return std::optional<Blob>();
  Blob blob;
  blob.bytes = *slot_->bytes;
  blob.version = VersionOf(slot_->generation);
  return std::optional<Blob>(std::move(blob));
}

Result<BlobVersion> MemoryBlobStore::DoPeekVersion() {
  std::lock_guard<std::mutex> guard(slot_->mu);
  return VersionOf(slot_->generation);
}

Result<BlobVersion> MemoryBlobStore::DoWrite(
    std::string_view bytes, const std::optional<BlobVersion>& expected) {
  std::lock_guard<std::mutex> guard(slot_->mu);
  if (expected.has_value() && *expected != VersionOf(slot_->generation)) {
    return Status(Code::kConflict, "stored version changed since read");
  }
  slot_->bytes = SecretBytes(bytes);
  ++slot_->generation;
  return VersionOf(slot_->generation);
}

}  // namespace tokencache
