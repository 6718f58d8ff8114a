// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// UNTESTED: macOS Keychain Services key source. It has never been compiled
// or run: our machines have no Apple SDK (platform-notes.md section 3). It
// is in no build (backends/keychain/CMakeLists.txt skips it) and nothing
// declares it in a public header. It is kept as the starting point for
// someone with a Mac, who should add a declaration to keychain.h, build it
// with -framework Security -framework CoreFoundation, and port
// tests/keychain to it before anyone relies on it.
//
// Design: the same as the Linux key source. A generic-password item
// (kSecClassGenericPassword, kSecAttrService, kSecAttrAccount) holds the
// 32-byte key; it is created on first use (SecItemAdd; errSecDuplicateItem
// means another process won, so read theirs) and read with
// SecItemCopyMatching. The Cipher is kept, so there is one keychain read,
// and at most one prompt, per source.

#if defined(__APPLE__)

#include <CoreFoundation/CoreFoundation.h>
#include <Security/Security.h>

#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "tokencache/cipher.h"
#include "tokencache/key_source.h"

namespace tokencache {
namespace {

constexpr std::size_t kKeySize = 32;

template <typename T>
struct CfRelease {
  void operator()(T ref) const {
    if (ref != nullptr) CFRelease(ref);
  }
};
template <typename T>
using CfPtr = std::unique_ptr<std::remove_pointer_t<T>, CfRelease<T>>;

Status FromOsStatus(OSStatus status, const std::string& what) {
  Code code = Code::kIoError;
  if (status == errSecInteractionNotAllowed || status == errSecNotAvailable) {
    code = Code::kUnavailable;  // Locked keychain, or no keychain at all.
  } else if (status == errSecAuthFailed || status == errSecUserCanceled) {
    code = Code::kPermissionDenied;
  }
  return Status(code, what + " (OSStatus " + std::to_string(status) + ")",
                static_cast<int>(status));
}

CfPtr<CFMutableDictionaryRef> Query(const std::string& service,
                                    const std::string& account) {
  CfPtr<CFMutableDictionaryRef> query(CFDictionaryCreateMutable(
      nullptr, 0, &kCFTypeDictionaryKeyCallBacks,
      &kCFTypeDictionaryValueCallBacks));
  CfPtr<CFStringRef> s(CFStringCreateWithCString(nullptr, service.c_str(),
                                                 kCFStringEncodingUTF8));
  CfPtr<CFStringRef> a(CFStringCreateWithCString(nullptr, account.c_str(),
                                                 kCFStringEncodingUTF8));
  CFDictionarySetValue(query.get(), kSecClass, kSecClassGenericPassword);
  CFDictionarySetValue(query.get(), kSecAttrService, s.get());
  CFDictionarySetValue(query.get(), kSecAttrAccount, a.get());
  return query;
}

class MacKeychainKeySource : public KeySource {
 public:
  MacKeychainKeySource(std::string service, std::string account)
      : service_(std::move(service)), account_(std::move(account)) {}

  std::string_view Name() const override { return "macos-keychain"; }

 protected:
  Result<std::shared_ptr<const Cipher>> DoGetCipher() const override {
    std::lock_guard<std::mutex> guard(mu_);
    if (cipher_ != nullptr) return cipher_;
    Result<SecretBytes> key = LoadOrCreate();
    if (!key.ok()) return key.status();
    Result<std::unique_ptr<Cipher>> cipher = NewKeyCipher(*key);
    if (!cipher.ok()) return cipher.status();
    cipher_ = std::shared_ptr<const Cipher>(std::move(*cipher));
    return cipher_;
  }

 private:
  Result<SecretBytes> Read(bool* found) const {
    CfPtr<CFMutableDictionaryRef> query = Query(service_, account_);
    CFDictionarySetValue(query.get(), kSecReturnData, kCFBooleanTrue);
    CFDictionarySetValue(query.get(), kSecMatchLimit, kSecMatchLimitOne);
    CFTypeRef data = nullptr;
    OSStatus status = SecItemCopyMatching(query.get(), &data);
    *found = status == errSecSuccess;
    if (status == errSecItemNotFound) return SecretBytes();
    if (status != errSecSuccess) {
      return FromOsStatus(status, "keychain read failed");
    }
    CfPtr<CFDataRef> bytes(static_cast<CFDataRef>(data));
    SecretBytes key(std::string_view(
        reinterpret_cast<const char*>(CFDataGetBytePtr(bytes.get())),
        static_cast<std::size_t>(CFDataGetLength(bytes.get()))));
    if (key.size() != kKeySize) {
      return CorruptedError("the keychain key item is not 32 bytes; it was "
                            "left in place");
    }
    return key;
  }

  Result<SecretBytes> LoadOrCreate() const {
    bool found = false;
    Result<SecretBytes> key = Read(&found);
    if (!key.ok() || found) return key;
    SecretBytes fresh;
    fresh.Resize(kKeySize);
    if (SecRandomCopyBytes(kSecRandomDefault, kKeySize,
                           fresh.mutable_data()) != errSecSuccess) {
      return InternalError("SecRandomCopyBytes failed");
    }
    CfPtr<CFMutableDictionaryRef> item = Query(service_, account_);
    CfPtr<CFDataRef> data(CFDataCreate(
        nullptr, reinterpret_cast<const UInt8*>(fresh.data()),
        static_cast<CFIndex>(fresh.size())));
    CFDictionarySetValue(item.get(), kSecValueData, data.get());
    OSStatus status = SecItemAdd(item.get(), nullptr);
    if (status == errSecDuplicateItem) {  // Another process won the race.
      key = Read(&found);
      if (key.ok() && !found) return InternalError("keychain item vanished");
      return key;
    }
    if (status != errSecSuccess) {
      return FromOsStatus(status, "keychain write failed");
    }
    return fresh;
  }

  const std::string service_;
  const std::string account_;
  mutable std::mutex mu_;
  mutable std::shared_ptr<const Cipher> cipher_;
};

}  // namespace

// Not declared in any header until it has been built and tested on macOS.
Result<std::unique_ptr<KeySource>> NewMacKeychainKeySource(
    std::string service, std::string account) {
  if (service.empty() || account.empty()) {
    return InvalidArgumentError("keychain service and account are required");
  }
  return std::unique_ptr<KeySource>(
      new MacKeychainKeySource(std::move(service), std::move(account)));
}

}  // namespace tokencache

#endif  // defined(__APPLE__)
