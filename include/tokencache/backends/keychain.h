// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The OS keychain backend: the Secret Service on Linux (libsecret; served by
// gnome-keyring, KWallet or KeePassXC), used in two ways.
//
//   keychain://service/account
//       A BlobStore: the whole cache is the secret of one keychain item, as
//       the MSAL extensions do. Good for small caches on desktops.
//   file:///path/cache.bin?key=keychain:service/account
//       A KeySource: a 32-byte data-encryption key is the secret of one
//       keychain item and the cache is an encrypted file (or any other
//       store). One secret, at most one keychain prompt, any cache size.
//
// Items use the libsecret schema "org.tokencache.Cache" with exactly three
// attributes: service, account and kind ("cache", "key" or "probe"). Their
// labels are "tokencache <kind> <service>/<account>". Attributes and labels
// are stored unencrypted by every Secret Service provider, so they never hold
// token or key bytes; the secret value is stored as binary
// (application/octet-stream), never as text.
//
// When there is no usable Secret Service (no D-Bus session bus, no provider
// of org.freedesktop.secrets, no default collection, a locked collection)
// every call fails with kUnavailable and a message that starts with
// "no Secret Service:" or "keychain is locked:" and says what to do. Nothing
// ever falls back to a plaintext or key file unless the caller opted in
// with KeychainKeySourceOptions::fallback_key_file, and then a warning is
// reported each time the fallback is used. docs/keychain.md has the details
// and docs/choosing-a-uri.md says which URI fits which machine.
//
// The Secret Service part is built on Linux (TOKENCACHE_WITH_KEYCHAIN and
// libsecret). On Windows this header declares the DPAPI key source
// instead. macOS Keychain Services (backends/keychain/macos_keychain.cc)
// is untested and not part of any build (docs/keychain.md).
//
// Thread safety: every function may be called from several threads at once;
// returned stores and key sources may be shared by threads.

#ifndef TOKENCACHE_BACKENDS_KEYCHAIN_H_
#define TOKENCACHE_BACKENDS_KEYCHAIN_H_

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "tokencache/blob_store.h"
#include "tokencache/cache.h"
#include "tokencache/export.h"
#include "tokencache/key_source.h"
#include "tokencache/status.h"
#include "tokencache/uri.h"

namespace tokencache {

#if defined(_WIN32)

// Returns a KeySource whose 32-byte key is kept in the file at `path`
// (absolute), sealed with DPAPI for the current user (CryptProtectData,
// CRYPTPROTECT_UI_FORBIDDEN). The first GetCipher() creates the key when
// the file is missing (race-free: concurrent creators all use the key that
// was moved into place first) and keeps the Cipher.
// GetCipher() errors: kCorrupted when the file does not open for this user
// or does not hold a 32-byte key (it is left in place), kPermissionDenied
// for a symbolic link or an access error, kIoError otherwise. Returns
// kInvalidArgument at once for a relative path.
// Tested under wine only (tests/windows), which proves the code paths, not
// Windows security: wine's DPAPI uses a fixed built-in key.
TOKENCACHE_EXPORT Result<std::unique_ptr<KeySource>> NewDpapiKeySource(
    std::filesystem::path path);

#else  // !defined(_WIN32)

// Names one keychain item. Both parts are non-empty UTF-8 without NUL bytes
// and at most 255 bytes; they are stored as attributes and in the label, so
// they must not be secrets.
struct KeychainItemName {
  std::string service;
  std::string account;
};

class TOKENCACHE_EXPORT KeychainBlobStore {
 public:
  KeychainBlobStore() = delete;

  // Returns a BlobStore whose bytes are the secret of the item (service,
  // account, kind=cache) in the default collection. Opening does not talk
  // to the keychain; the first Read or Write does.
  //
  // The stored secret is a 16-byte header ("TCKC", format version 1, a
  // 64-bit generation counter) followed by the caller's bytes. The version
  // is the generation; Write compares it with `expected` (kConflict when it
  // differs) and stores generation + 1. The Secret Service has no
  // compare-and-swap, so this check is only sound while the caller holds
  // the cache's write lock (see KeychainLockPath), as BlobStore requires.
  // PeekVersion reads the secret (about 1 ms with gnome-keyring).
  //
  // Errors at open: kInvalidArgument for a bad name. Errors of the store's
  // methods: kUnavailable (no Secret Service, locked keychain; message
  // says which and what to do), kPermissionDenied (the service refused
  // access), kCorrupted (the secret is not in the format above; it is left
  // in place), kConflict (stale `expected`), kIoError otherwise.
  static Result<std::unique_ptr<BlobStore>> Open(KeychainItemName name);
};

// Where the lock file that serializes writers of one keychain item lives:
// `<dir>/keychain-<service>-<account>.lock`, the names percent-encoded,
// where <dir> is `lock_directory` if non-empty, else
// $XDG_RUNTIME_DIR/tokencache, else $XDG_CACHE_HOME/tokencache, else
// $HOME/.cache/tokencache. Every process that writes the item must use the
// same directory. Returns kInvalidArgument for a bad name or a relative
// directory, kNotFound when none of the variables is set.
TOKENCACHE_EXPORT Result<std::filesystem::path> KeychainLockPath(
    const KeychainItemName& name,
    const std::filesystem::path& lock_directory = {});

// Receives warnings that the caller must surface (a fallback was used).
// Messages hold no secrets.
using KeychainWarningFn = std::function<void(std::string_view message)>;

struct KeychainKeySourceOptions {
  // Opt-in fallback: when the keychain is unavailable (no Secret Service or
  // a locked keychain; never for other errors), use the 0600 key file at
  // this absolute path instead (NewKeyFileKeySource, created on first use)
  // and report a warning. The key file protects the cache only as well as
  // the file's permissions do. Default: empty, no fallback.
  std::string fallback_key_file;
  // Where warnings go. Default (null): one line on stderr per fallback.
  KeychainWarningFn warn;
  // See KeychainLockPath. Default: empty (the standard directory).
  std::filesystem::path lock_directory;
};

// Returns a KeySource whose key is the secret of the item (service,
// account, kind=key). The first GetCipher() of the source reads the item;
// when there is none, it creates 32 random bytes and stores them, under the
// lock file of KeychainLockPath(), so that two processes creating at once
// end up with one key. The Cipher (NewKeyCipher) is kept: one keychain read
// per source, and so per process when the source is kept.
//
// GetCipher() errors: kUnavailable (no Secret Service or locked keychain,
// and no fallback), kCorrupted (the item's secret is not 32 bytes; it is
// left in place, never replaced), kPermissionDenied, kLockTimeout (another
// process held the creation lock for 10 s), the fallback key file's errors,
// kIoError otherwise. A failure is not cached: the next call tries again.
// Returns kInvalidArgument at once for a bad name or a relative fallback
// path.
TOKENCACHE_EXPORT Result<std::unique_ptr<KeySource>> NewKeychainKeySource(
    KeychainItemName name, KeychainKeySourceOptions options = {});

// Parses the value of a `key` option that names the keychain,
// "keychain:service/account" (the account may contain '/'; the service may
// not), and returns NewKeychainKeySource for it. Returns kInvalidArgument
// for any other form; the message never quotes `spec`.
TOKENCACHE_EXPORT Result<std::unique_ptr<KeySource>> KeychainKeySourceFromSpec(
    std::string_view spec, KeychainKeySourceOptions options = {});

// The factory of keychain://service/account URIs. Options:
//   format=msal-json|binary   snapshot encoding (default msal-json)
//   lock=file|none            the lock file of KeychainLockPath (default
//                             file); none only when one process uses it
//   lock-dir=/abs/dir         the lock directory (see KeychainLockPath)
// The keychain encrypts the item itself, so no `key` option is accepted.
// There is no fallback for this form: on machines without a keychain use
// file:///...?key=keychain:service/account&fallback=file:/abs/key, or a key
// file (docs/choosing-a-uri.md). Errors: kInvalidArgument for a malformed
// URI or an unknown option, then the store's and Cache::Open's errors.
TOKENCACHE_EXPORT Result<std::unique_ptr<Cache>> OpenKeychainCache(
    const CacheUri& uri, const CacheOptions& options);

// What `tokencache doctor` learns about the Secret Service on this machine.
struct KeychainProbeResult {
  // The session bus answered and a provider owns org.freedesktop.secrets.
  bool service_reachable = false;
  // A probe item (kind=probe, 16 random bytes) was stored, read back equal
  // and cleared in the default collection.
  bool store_works = false;
  // OK when store_works; otherwise the error that stopped the probe.
  Status status;
};

// Probes the Secret Service without touching any cache or key item.
TOKENCACHE_EXPORT KeychainProbeResult ProbeKeychain();

#endif  // defined(_WIN32)

}  // namespace tokencache

#endif  // TOKENCACHE_BACKENDS_KEYCHAIN_H_
