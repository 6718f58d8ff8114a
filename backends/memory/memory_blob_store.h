// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// MemoryBlobStore: a BlobStore that keeps the blob in process memory, for
// tests and for `memory:` caches. Several stores built over one Slot see the
// same blob, the way two processes see one file, so tests can play
// concurrent writers without files. Versions are generation counters.
//
// Thread-safe: the slot has its own mutex.

#ifndef TOKENCACHE_BACKENDS_MEMORY_MEMORY_BLOB_STORE_H_
#define TOKENCACHE_BACKENDS_MEMORY_MEMORY_BLOB_STORE_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

#include "tokencache/blob_store.h"
#include "tokencache/secret.h"

namespace tokencache {

class MemoryBlobStore final : public BlobStore {
 public:
  // The shared storage. Empty until the first write.
  struct Slot {
    std::mutex mu;
    std::optional<SecretBytes> bytes;
    std::uint64_t generation = 0;
  };

  // A store over a new, empty slot.
  MemoryBlobStore() : MemoryBlobStore(std::make_shared<Slot>()) {}
  // A store over `slot`, shared with other stores. REQUIRES: slot != null.
  explicit MemoryBlobStore(std::shared_ptr<Slot> slot)
      : slot_(std::move(slot)) {}

  std::string_view Name() const override { return "memory"; }
  const std::shared_ptr<Slot>& slot() const { return slot_; }

 protected:
  Result<std::optional<Blob>> DoRead() override;
  Result<BlobVersion> DoPeekVersion() override;
  Result<BlobVersion> DoWrite(
      std::string_view bytes,
      const std::optional<BlobVersion>& expected) override;

 private:
  std::shared_ptr<Slot> slot_;
};

}  // namespace tokencache

#endif  // TOKENCACHE_BACKENDS_MEMORY_MEMORY_BLOB_STORE_H_
