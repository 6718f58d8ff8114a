// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The encrypting BlobStore decorator: storage and encryption stay separate
// objects (Tink's KeysetHandle::Write(writer, aead) split), so any BlobStore,
// including one an SDK author writes, gets encryption at rest unchanged.

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "tokencache/blob_store.h"
#include "tokencache/cipher.h"

namespace tokencache {
namespace {

class EncryptedBlobStore final : public BlobStore {
 public:
  EncryptedBlobStore(std::unique_ptr<BlobStore> inner,
                     std::shared_ptr<const Cipher> cipher, std::string cache_id)
      : inner_(std::move(inner)),
        cipher_(std::move(cipher)),
        context_(BlobContext(cache_id)) {}

  std::string_view Name() const override { return "encrypted"; }

 protected:
  Result<std::optional<Blob>> DoRead() override {
    Result<std::optional<Blob>> stored = inner_->Read();
    if (!stored.ok()) return stored.status();
    if (!stored->has_value()) return std::optional<Blob>();
    Blob& blob = **stored;
    Result<SecretBytes> opened = cipher_->Open(blob.bytes.view(), context_);
    if (!opened.ok()) return opened.status();
    Blob plain;
    plain.bytes = std::move(*opened);
    plain.version = std::move(blob.version);
    return std::optional<Blob>(std::move(plain));
  }

  Result<BlobVersion> DoPeekVersion() override { return inner_->PeekVersion(); }

  Result<BlobVersion> DoWrite(
      std::string_view bytes,
      const std::optional<BlobVersion>& expected) override {
    // Open what is stored before replacing it. A blob under another key, or
    // one that fails authentication, may be the user's only copy of their
    // tokens (MSAL .NET clears such a store; we must not): report it and
    // leave it for an explicit recovery. The caller holds the write lock, so
    // nothing changes between this read and the write below; the inner
    // store's own version check still guards the write.
    Result<std::optional<Blob>> stored = inner_->Read();
    if (!stored.ok()) return stored.status();
    if (stored->has_value()) {
      const Blob& current = **stored;
      if (expected.has_value() && *expected != current.version) {
        return Status(Code::kConflict,
                      "stored version differs from the expected one");
      }
      Result<SecretBytes> opened =
          cipher_->Open(current.bytes.view(), context_);
      if (!opened.ok()) {
        return opened.status().WithContext(
            "refusing to overwrite a stored blob this key cannot open");
      }
    }
    Result<std::string> sealed = cipher_->Seal(bytes, context_);
    if (!sealed.ok()) return sealed.status();
    return inner_->Write(*sealed, expected);
  }

 private:
  std::unique_ptr<BlobStore> inner_;
  std::shared_ptr<const Cipher> cipher_;
  std::string context_;
};

}  // namespace

std::unique_ptr<BlobStore> NewEncryptedBlobStore(
    std::unique_ptr<BlobStore> inner, std::shared_ptr<const Cipher> cipher,
    std::string cache_id) {
  return std::make_unique<EncryptedBlobStore>(
      std::move(inner), std::move(cipher), std::move(cache_id));
}

}  // namespace tokencache
