// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// A KeySource says where the key of an encrypted cache comes from and hands
// out the Cipher (cipher.h) built from it. Built in: a 0600 key file created
// on first use, a passphrase (Argon2id) given directly or in an environment
// variable, and a base64 key in an environment variable. An OS keychain
// source plugs in the same way: implement DoGetCipher() to fetch 32 bytes and
// return NewKeyCipher(key).
//
// Backend URIs pick a source with `?key=...`; KeySourceFromSpec() parses
// that value.
//
// Thread safety: all methods are const and may be called from several
// threads at once.

#ifndef TOKENCACHE_KEY_SOURCE_H_
#define TOKENCACHE_KEY_SOURCE_H_

#include <memory>
#include <string>
#include <string_view>

#include "tokencache/cipher.h"
#include "tokencache/export.h"
#include "tokencache/secret.h"
#include "tokencache/status.h"

namespace tokencache {

// The public method is non-virtual: it calls DoGetCipher() and turns any
// exception into kInternal, prefixing errors with Name().
class TOKENCACHE_EXPORT KeySource {
 public:
  KeySource() = default;
  KeySource(const KeySource&) = delete;
  KeySource& operator=(const KeySource&) = delete;
  virtual ~KeySource();

  // Short, stable name such as "file" or "passphrase-env"; appears in error
  // messages. Never holds key material or a passphrase.
  virtual std::string_view Name() const = 0;

  // Returns the Cipher for this source's key. Sources that derive keys
  // (passphrases) return the same Cipher on every call, so derived keys are
  // computed once per process. Failure codes depend on the source; see its
  // factory.
  Result<std::shared_ptr<const Cipher>> GetCipher() const;

 protected:
  virtual Result<std::shared_ptr<const Cipher>> DoGetCipher() const = 0;
};

struct KeyFileOptions {
  // Create the key file (32 random bytes, mode 0600) and any missing parent
  // directories (mode 0700) when it does not exist. Default: true.
  bool create_if_missing = true;
};

// Returns a source that reads a raw 32-byte key from the file at `path`
// (absolute). On each GetCipher():
//   - when the file is missing and `options.create_if_missing`, creates it
//     race-free: several processes creating at once all end up with the one
//     key that was linked into place first;
//   - kPermissionDenied when the path is a symbolic link, not a regular file,
//     owned by another user, or has any group/other permission bit, or when a
//     parent directory is writable by group or others (without sticky bit);
//   - kCorrupted when the file is not exactly 32 bytes;
//   - kNotFound when it is missing and creation is off;
//   - kIoError for other OS failures (errno in os_error()).
// Returns kInvalidArgument at once when `path` is empty or relative.
TOKENCACHE_EXPORT Result<std::unique_ptr<KeySource>> NewKeyFileKeySource(
    std::string path, const KeyFileOptions& options = {});

// Returns a source whose Cipher derives keys from `passphrase` with Argon2id
// (NewPassphraseCipher). Returns kInvalidArgument when the passphrase is
// empty or `options` is out of range.
TOKENCACHE_EXPORT Result<std::unique_ptr<KeySource>> NewPassphraseKeySource(
    SecretBytes passphrase, const PassphraseOptions& options = {});

// Returns a source that reads a passphrase from the environment variable
// `variable` at the first GetCipher() and keeps the resulting Cipher. That
// call returns kNotFound when the variable is unset or empty. Returns
// kInvalidArgument at once when `variable` is not a valid name.
TOKENCACHE_EXPORT Result<std::unique_ptr<KeySource>> NewPassphraseEnvKeySource(
    std::string variable, const PassphraseOptions& options = {});

// Returns a source that reads a standard base64 (RFC 4648, padded) 32-byte
// key from the environment variable `variable` on each GetCipher(): kNotFound
// when unset or empty, kInvalidArgument when it does not decode to exactly
// 32 bytes (the message never quotes the value).
TOKENCACHE_EXPORT Result<std::unique_ptr<KeySource>> NewKeyEnvKeySource(
    std::string variable);

// Parses the value of a backend URI's `key` option (already percent-decoded):
//   file:/abs/path           NewKeyFileKeySource (also file:///abs/path)
//   passphrase-env:VAR       NewPassphraseEnvKeySource with `options`
//   key-env:VAR              NewKeyEnvKeySource
//   keychain[:...]           kNotSupported: not built in yet
// Anything else returns kInvalidArgument; the message lists the accepted
// forms and never quotes `spec`, in case a secret was pasted there.
TOKENCACHE_EXPORT Result<std::unique_ptr<KeySource>> KeySourceFromSpec(
    std::string_view spec, const PassphraseOptions& options = {});

}  // namespace tokencache

#endif  // TOKENCACHE_KEY_SOURCE_H_
