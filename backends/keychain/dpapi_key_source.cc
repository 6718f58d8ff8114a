// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// NewDpapiKeySource: the KeySource over dpapi_key.cc. It needs
// NewKeyCipher (libsodium), so the mingw cross build only compiles it; a
// native Windows build with libsodium links and runs it.

#include <memory>
#include <mutex>
#include <utility>

#include "backends/keychain/dpapi_key.h"
#include "tokencache/backends/keychain.h"
#include "tokencache/cipher.h"

namespace tokencache {
namespace {

class DpapiKeySource : public KeySource {
 public:
  explicit DpapiKeySource(std::filesystem::path path)
      : path_(std::move(path)) {}

  std::string_view Name() const override { return "dpapi"; }

 protected:
  Result<std::shared_ptr<const Cipher>> DoGetCipher() const override {
    std::lock_guard<std::mutex> guard(mu_);
    if (cipher_ != nullptr) return cipher_;
    Result<SecretBytes> key = internal::LoadOrCreateDpapiKey(path_);
    if (!key.ok()) return key.status();
    Result<std::unique_ptr<Cipher>> cipher = NewKeyCipher(*key);
    if (!cipher.ok()) return cipher.status();
    cipher_ = std::shared_ptr<const Cipher>(std::move(*cipher));
    return cipher_;
  }

 private:
  const std::filesystem::path path_;
  mutable std::mutex mu_;
  mutable std::shared_ptr<const Cipher> cipher_;
};

}  // namespace

Result<std::unique_ptr<KeySource>> NewDpapiKeySource(
    std::filesystem::path path) {
  if (!path.is_absolute() || !path.has_filename()) {
    return InvalidArgumentError("DPAPI key file must be an absolute path");
  }
  return std::unique_ptr<KeySource>(new DpapiKeySource(std::move(path)));
}

}  // namespace tokencache
