// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// NewEncryptedRecordStore: seals each value with the Cipher, binding it to
// the cache id and its record key (RecordContext), so that a value copied
// under another key, or into another cache, fails to open (reliability
// plan K2). Keys stay in the clear: scans need them ordered.

#include <optional>
#include <string>
#include <utility>

#include "tokencache/cipher.h"

namespace tokencache {
namespace {

class EncryptedTransaction final : public RecordTransaction {
 public:
  EncryptedTransaction(std::unique_ptr<RecordTransaction> inner,
                       const Cipher* cipher, const std::string* cache_id,
                       const std::string* name)
      : RecordTransaction(inner->writable(), inner->generation()),
        inner_(std::move(inner)),
        cipher_(cipher),
        cache_id_(cache_id),
        name_(name) {}

 protected:
  std::string_view StoreName() const override { return *name_; }

  Result<std::optional<SecretBytes>> DoGet(std::string_view key) override {
    Result<std::optional<SecretBytes>> sealed = inner_->Get(key);
    if (!sealed.ok() || !sealed->has_value()) return sealed;
    Result<SecretBytes> plain =
        cipher_->Open((*sealed)->view(), RecordContext(*cache_id_, key));
    if (!plain.ok()) return plain.status();
    return std::optional<SecretBytes>(std::move(*plain));
  }

  Status DoScan(std::string_view prefix, const RecordScanFn& fn) override {
    return DoScanMatching(prefix, RecordKeyFilter(), fn);
  }

  // Opens only the records `accept` takes: a lookup in a partition of many
  // tokens decrypts the one or two that can match.
  Status DoScanMatching(std::string_view prefix,
                        const RecordKeyFilter& accept,
                        const RecordScanFn& fn) override {
    Status failure;
    // The inner store filters too: LMDB then reads only the accepted
    // records (its key index).
    Status s = inner_->ScanMatching(prefix, accept, [&](std::string_view key,
                                                        std::string_view
                                                            sealed) {
      Result<SecretBytes> plain =
          cipher_->Open(sealed, RecordContext(*cache_id_, key));
      if (!plain.ok()) {
        failure = plain.status();
        return false;
      }
      return fn(key, plain->view());
    });
    if (!s.ok()) return s;
    return failure;
  }

  Status DoPut(std::string_view key, std::string_view value) override {
    Result<std::string> sealed =
        cipher_->Seal(value, RecordContext(*cache_id_, key));
    if (!sealed.ok()) return sealed.status();
    return inner_->Put(key, *sealed);
  }

  Status DoErase(std::string_view key) override { return inner_->Erase(key); }

  Result<std::uint64_t> DoCommit(std::uint64_t expected) override {
    return inner_->Commit(expected);
  }

 private:
  std::unique_ptr<RecordTransaction> inner_;
  const Cipher* cipher_;
  const std::string* cache_id_;
  const std::string* name_;
};

class EncryptedRecordStore final : public RecordStore {
 public:
  EncryptedRecordStore(std::unique_ptr<RecordStore> inner,
                       std::shared_ptr<const Cipher> cipher,
                       std::string cache_id)
      : inner_(std::move(inner)),
        cipher_(std::move(cipher)),
        cache_id_(std::move(cache_id)),
        name_(std::string(inner_->Name()) + "+aead") {}

  std::string_view Name() const override { return name_; }

 protected:
  Result<std::unique_ptr<RecordTransaction>> DoBegin(bool writable) override {
    Result<std::unique_ptr<RecordTransaction>> inner =
        writable ? inner_->BeginWrite() : inner_->BeginRead();
    if (!inner.ok()) return inner.status();
    return std::unique_ptr<RecordTransaction>(new EncryptedTransaction(
        std::move(*inner), cipher_.get(), &cache_id_, &name_));
  }

 private:
  std::unique_ptr<RecordStore> inner_;
  std::shared_ptr<const Cipher> cipher_;
  const std::string cache_id_;
  const std::string name_;
};

}  // namespace

std::unique_ptr<RecordStore> NewEncryptedRecordStore(
    std::unique_ptr<RecordStore> inner, std::shared_ptr<const Cipher> cipher,
    std::string cache_id) {
  return std::make_unique<EncryptedRecordStore>(
      std::move(inner), std::move(cipher), std::move(cache_id));
}

}  // namespace tokencache
