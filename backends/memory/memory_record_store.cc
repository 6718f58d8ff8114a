// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "backends/memory/memory_record_store.h"

#include <optional>
#include <utility>

namespace tokencache {
namespace {

bool HasPrefix(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

class MemoryTransaction final : public RecordTransaction {
 public:
  MemoryTransaction(std::shared_ptr<MemoryRecordStore::Space> space,
                    std::shared_ptr<const MemoryRecordStore::Map> snapshot,
                    std::uint64_t generation, bool writable)
      : RecordTransaction(writable, generation),
        space_(std::move(space)),
        snapshot_(std::move(snapshot)) {}

 protected:
  std::string_view StoreName() const override { return "memory"; }

  Result<std::optional<SecretBytes>> DoGet(std::string_view key) override {
    auto pending = pending_.find(key);
    if (pending != pending_.end()) return pending->second;
    auto it = snapshot_->find(key);
    if (it == snapshot_->end()) return std::optional<SecretBytes>();
    return std::optional<SecretBytes>(it->second);
  }

  // Merges the snapshot with this transaction's pending changes, in key
  // order.
  Status DoScan(std::string_view prefix, const RecordScanFn& fn) override {
    auto base = snapshot_->lower_bound(prefix);
    auto own = pending_.lower_bound(prefix);
    auto base_in = [&] {
      return base != snapshot_->end() && HasPrefix(base->first, prefix);
    };
    auto own_in = [&] {
      return own != pending_.end() && HasPrefix(own->first, prefix);
    };
    while (base_in() || own_in()) {
      if (own_in() && (!base_in() || own->first <= base->first)) {
        if (base_in() && own->first == base->first) ++base;
        const auto& entry = *own++;
        if (entry.second.has_value() &&
            !fn(entry.first, entry.second->view())) {
          return Status();
        }
      } else {
        const auto& entry = *base++;
        if (!fn(entry.first, entry.second.view())) return Status();
      }
    }
    return Status();
  }

  Status DoPut(std::string_view key, std::string_view value) override {
    pending_.insert_or_assign(std::string(key),
                              std::optional<SecretBytes>(SecretBytes(value)));
    return Status();
  }

  Status DoErase(std::string_view key) override {
    pending_.insert_or_assign(std::string(key), std::nullopt);
    return Status();
  }

  Result<std::uint64_t> DoCommit(std::uint64_t expected) override {
    std::lock_guard<std::mutex> guard(space_->mu);
    if (space_->generation != expected) {
      return Status(Code::kConflict,
                    "another writer committed since the transaction began");
    }
    if (pending_.empty()) return space_->generation;
    auto next = std::make_shared<MemoryRecordStore::Map>(*space_->records);
    for (auto& [key, value] : pending_) {
      if (value.has_value()) {
        next->insert_or_assign(key, std::move(*value));
      } else {
        next->erase(key);
      }
    }
    pending_.clear();
    space_->records = std::move(next);
    return ++space_->generation;
  }

 private:
  std::shared_ptr<MemoryRecordStore::Space> space_;
  std::shared_ptr<const MemoryRecordStore::Map> snapshot_;
  std::map<std::string, std::optional<SecretBytes>, std::less<>> pending_;
};

}  // namespace

Result<std::unique_ptr<RecordTransaction>> MemoryRecordStore::DoBegin(
    bool writable) {
  std::lock_guard<std::mutex> guard(space_->mu);
  return std::unique_ptr<RecordTransaction>(new MemoryTransaction(
      space_, space_->records, space_->generation, writable));
}

}  // namespace tokencache
