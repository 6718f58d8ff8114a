// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Windows only: the data-encryption key of an encrypted cache kept in a file
// as a DPAPI blob (CryptProtectData, current-user scope), the Windows
// counterpart of the Linux keychain key item. Pure Win32 (crypt32, bcrypt),
// no libsodium, so the mingw-w64 cross build in tests/windows can compile
// and run it under wine.
//
// File format: the raw output of CryptProtectData over the 32-byte key,
// with the optional entropy "tokencache dpapi key v1" and the description
// "tokencache data-encryption key". Nothing else; no key byte is stored
// outside the blob.
//
// Thread safety: the functions may be called from several threads at once.

#ifndef TOKENCACHE_BACKENDS_KEYCHAIN_DPAPI_KEY_H_
#define TOKENCACHE_BACKENDS_KEYCHAIN_DPAPI_KEY_H_

#include <filesystem>
#include <string_view>

#include "tokencache/secret.h"
#include "tokencache/status.h"

namespace tokencache {
namespace internal {

// Seals `plaintext` for the current user. Errors: kIoError with the Win32
// error in os_error().
Result<SecretBytes> DpapiProtect(std::string_view plaintext);

// Opens a DPAPI blob made by DpapiProtect. Errors: kCorrupted when the blob
// does not open (tampered, another user's, or not a DPAPI blob: DPAPI does
// not tell these apart), with the Win32 error in os_error().
Result<SecretBytes> DpapiUnprotect(std::string_view blob);

// Returns the 32-byte key sealed in the file at `path` (absolute). When
// the file does not exist, creates 32 random bytes (BCryptGenRandom), seals
// them and links the file into place without replacing anything, so
// processes creating at once all end up with the key that got there first.
// Errors: kInvalidArgument for a relative path; kPermissionDenied for a
// reparse point (symbolic link) at `path`; kCorrupted when the file does
// not open or does not hold 32 bytes (it is left in place); kIoError for
// other Win32 failures.
Result<SecretBytes> LoadOrCreateDpapiKey(const std::filesystem::path& path);

}  // namespace internal
}  // namespace tokencache

#endif  // TOKENCACHE_BACKENDS_KEYCHAIN_DPAPI_KEY_H_
