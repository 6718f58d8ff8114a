// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// MemoryRecordStore: a RecordStore in process memory, for tests and as the
// reference the conformance kit is checked against. Several stores built
// over one Space see the same records, the way two processes see one LMDB
// environment. Reads are snapshots (a shared, immutable map); a write
// transaction buffers its changes and commits them with compare-and-swap on
// the generation, so concurrent writers race and all but one get kConflict.
//
// Thread-safe: the space has its own mutex. Not shared across processes.

#ifndef TOKENCACHE_BACKENDS_MEMORY_MEMORY_RECORD_STORE_H_
#define TOKENCACHE_BACKENDS_MEMORY_MEMORY_RECORD_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "tokencache/record_store.h"
#include "tokencache/secret.h"

namespace tokencache {

class MemoryRecordStore final : public RecordStore {
 public:
  using Map = std::map<std::string, SecretBytes, std::less<>>;

  // The shared storage: an immutable map replaced whole by each commit, so
  // a read transaction holds its snapshot without copying.
  struct Space {
    std::mutex mu;
    std::shared_ptr<const Map> records = std::make_shared<const Map>();
    std::uint64_t generation = 0;
  };

  // A store over a new, empty space.
  MemoryRecordStore() : MemoryRecordStore(std::make_shared<Space>()) {}
  // A store over `space`, shared with other stores. REQUIRES: not null.
  explicit MemoryRecordStore(std::shared_ptr<Space> space)
      : space_(std::move(space)) {}

  std::string_view Name() const override { return "memory"; }
  const std::shared_ptr<Space>& space() const { return space_; }

 protected:
  Result<std::unique_ptr<RecordTransaction>> DoBegin(bool writable) override;

 private:
  std::shared_ptr<Space> space_;
};

}  // namespace tokencache

#endif  // TOKENCACHE_BACKENDS_MEMORY_MEMORY_RECORD_STORE_H_
