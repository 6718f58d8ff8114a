// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "backends/keychain/dpapi_key.h"

// clang-format off
#include <windows.h>
#include <bcrypt.h>
#include <wincrypt.h>
// clang-format on

#include <cstring>
#include <string>

namespace tokencache {
namespace internal {
namespace {

constexpr std::size_t kKeySize = 32;
constexpr char kEntropy[] = "tokencache dpapi key v1";
constexpr wchar_t kDescription[] = L"tokencache data-encryption key";

Status Win32Error(Code code, const std::string& what, DWORD err) {
  return Status(code, what + " (Win32 error " + std::to_string(err) + ")",
                static_cast<int>(err));
}

DATA_BLOB Entropy() {
  DATA_BLOB entropy;
  entropy.pbData = reinterpret_cast<BYTE*>(const_cast<char*>(kEntropy));
  entropy.cbData = sizeof kEntropy - 1;
  return entropy;
}

// Moves a LocalAlloc'ed DPAPI output into SecretBytes and wipes it.
SecretBytes TakeBlob(DATA_BLOB* out) {
  SecretBytes bytes(std::string_view(reinterpret_cast<const char*>(out->pbData),
                                     out->cbData));
  SecureWipe(out->pbData, out->cbData);
  LocalFree(out->pbData);
  return bytes;
}

class Handle {
 public:
  explicit Handle(HANDLE h) : h_(h) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() {
    if (h_ != INVALID_HANDLE_VALUE) CloseHandle(h_);
  }
  HANDLE get() const { return h_; }
  bool valid() const { return h_ != INVALID_HANDLE_VALUE; }

 private:
  HANDLE h_;
};

// Reads the whole key file. Returns kNotFound when it does not exist.
Result<SecretBytes> ReadKeyFile(const std::filesystem::path& path) {
  const DWORD attributes = GetFileAttributesW(path.c_str());
  if (attributes != INVALID_FILE_ATTRIBUTES &&
      (attributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0) {
    return Status(Code::kPermissionDenied,
                  "symlink refused at DPAPI key file '" + path.string() + "'");
  }
  Handle file(CreateFileW(path.c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr,
                          OPEN_EXISTING,
                          FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT,
                          nullptr));
  if (!file.valid()) {
    const DWORD err = GetLastError();
    if (err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND) {
      return NotFoundError("no DPAPI key file '" + path.string() + "'");
    }
    return Win32Error(err == ERROR_ACCESS_DENIED ? Code::kPermissionDenied
                                                 : Code::kIoError,
                      "cannot open DPAPI key file '" + path.string() + "'",
                      err);
  }
  LARGE_INTEGER size;
  if (!GetFileSizeEx(file.get(), &size)) {
    return Win32Error(Code::kIoError, "cannot stat '" + path.string() + "'",
                      GetLastError());
  }
  if (size.QuadPart > 64 * 1024) {
    return CorruptedError("DPAPI key file '" + path.string() +
                          "' is too large to be a key");
  }
  SecretBytes bytes;
  bytes.Resize(static_cast<std::size_t>(size.QuadPart));
  DWORD got = 0;
  if (!bytes.empty() &&
      (!ReadFile(file.get(), bytes.mutable_data(),
                 static_cast<DWORD>(bytes.size()), &got, nullptr) ||
       got != bytes.size())) {
    return Win32Error(Code::kIoError, "cannot read '" + path.string() + "'",
                      GetLastError());
  }
  return bytes;
}

Result<SecretBytes> OpenKey(const std::filesystem::path& path,
                            const SecretBytes& blob) {
  Result<SecretBytes> key = DpapiUnprotect(blob.view());
  if (!key.ok()) {
    return key.status().WithContext("DPAPI key file '" + path.string() +
                                    "' (left in place)");
  }
  if (key->size() != kKeySize) {
    return CorruptedError("DPAPI key file '" + path.string() + "' holds " +
                          std::to_string(key->size()) +
                          " bytes, not 32; it was left in place");
  }
  return key;
}

}  // namespace

Result<SecretBytes> DpapiProtect(std::string_view plaintext) {
  DATA_BLOB in;
  in.pbData = reinterpret_cast<BYTE*>(const_cast<char*>(plaintext.data()));
  in.cbData = static_cast<DWORD>(plaintext.size());
  DATA_BLOB entropy = Entropy();
  DATA_BLOB out = {0, nullptr};
  // CRYPTPROTECT_UI_FORBIDDEN: a library must never pop up a dialog.
  if (!CryptProtectData(&in, kDescription, &entropy, nullptr, nullptr,
                        CRYPTPROTECT_UI_FORBIDDEN, &out)) {
    return Win32Error(Code::kIoError, "CryptProtectData failed",
                      GetLastError());
  }
  return TakeBlob(&out);
}

Result<SecretBytes> DpapiUnprotect(std::string_view blob) {
  DATA_BLOB in;
  in.pbData = reinterpret_cast<BYTE*>(const_cast<char*>(blob.data()));
  in.cbData = static_cast<DWORD>(blob.size());
  DATA_BLOB entropy = Entropy();
  DATA_BLOB out = {0, nullptr};
  if (!CryptUnprotectData(&in, nullptr, &entropy, nullptr, nullptr,
                          CRYPTPROTECT_UI_FORBIDDEN, &out)) {
    return Win32Error(Code::kCorrupted,
                      "the DPAPI blob does not open for this user (tampered, "
                      "another user's, or not a DPAPI blob)",
                      GetLastError());
  }
  return TakeBlob(&out);
}

Result<SecretBytes> LoadOrCreateDpapiKey(const std::filesystem::path& path) {
  if (!path.is_absolute() || !path.has_filename()) {
    return InvalidArgumentError("DPAPI key file must be an absolute path");
  }
  Result<SecretBytes> existing = ReadKeyFile(path);
  if (existing.ok()) return OpenKey(path, *existing);
  if (existing.status().code() != Code::kNotFound) return existing.status();

  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) {
    return Status(Code::kIoError, "cannot create directory '" +
                                      path.parent_path().string() + "'");
  }
  SecretBytes key;
  key.Resize(kKeySize);
  NTSTATUS rc = BCryptGenRandom(
      nullptr, reinterpret_cast<PUCHAR>(key.mutable_data()),
      static_cast<ULONG>(key.size()), BCRYPT_USE_SYSTEM_PREFERRED_RNG);
  if (rc != 0) {
    return Status(Code::kInternal, "BCryptGenRandom failed");
  }
  Result<SecretBytes> blob = DpapiProtect(key.view());
  if (!blob.ok()) return blob.status();

  // Write a temp file of our own, then move it into place without
  // replacing: if another process won the race, use its key.
  std::filesystem::path temp = path;
  temp += ".tmp-" + std::to_string(GetCurrentProcessId()) + "-" +
          std::to_string(GetCurrentThreadId());
  {
    Handle file(CreateFileW(temp.c_str(), GENERIC_WRITE, 0, nullptr,
                            CREATE_NEW, FILE_ATTRIBUTE_NORMAL, nullptr));
    if (!file.valid()) {
      return Win32Error(Code::kIoError,
                        "cannot create '" + temp.string() + "'",
                        GetLastError());
    }
    DWORD written = 0;
    if (!WriteFile(file.get(), blob->data(), static_cast<DWORD>(blob->size()),
                   &written, nullptr) ||
        written != blob->size() || !FlushFileBuffers(file.get())) {
      const DWORD err = GetLastError();
      DeleteFileW(temp.c_str());
      return Win32Error(Code::kIoError, "cannot write '" + temp.string() + "'",
                        err);
    }
  }
  if (!MoveFileExW(temp.c_str(), path.c_str(), MOVEFILE_WRITE_THROUGH)) {
    const DWORD err = GetLastError();
    DeleteFileW(temp.c_str());
    if (err != ERROR_ALREADY_EXISTS && err != ERROR_FILE_EXISTS) {
      return Win32Error(Code::kIoError,
                        "cannot move the key file into place at '" +
                            path.string() + "'",
                        err);
    }
    Result<SecretBytes> winner = ReadKeyFile(path);
    if (!winner.ok()) return winner.status();
    return OpenKey(path, *winner);
  }
  return key;
}

}  // namespace internal
}  // namespace tokencache
