// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Checking a cache, and the explicit way out of an unreadable one.
//
// tokencache never overwrites or clears stored data it cannot read: a cache
// file that does not parse, fails its checksum or authentication, or was
// sealed under another key makes OpenCache() and every write fail with
// kCorrupted or kWrongKey, and the bytes stay as they are (MSAL .NET, by
// contrast, clears such a store). VerifyCache() says what is wrong without
// changing anything; RecoverCache() is the one step that gets a working
// cache back: it moves the unreadable file aside ("quarantine"), so that the
// next open starts with an empty cache and the old bytes are kept for
// inspection or a later retry with the right key.
//
//   Result<VerifyReport> report = VerifyCache(uri);
//   if (report.ok() && report->code == Code::kCorrupted) {
//     Result<RecoverReport> moved = RecoverCache(uri);
//     // moved->quarantine_path holds the old bytes; OpenCache(uri) is empty.
//   }
//
// The command line has the same: `tokencache verify` and
// `tokencache recover [--force] [--force-wrong-key]`.
//
// Supported URIs: the file scheme with all its options (format, lock, key,
// cache-id; see tokencache.h), except keys held in an OS keychain
// (key=keychain:...), which are reported as kNotSupported because reading
// such a key may create one. Other schemes return kNotSupported.
//
// Thread safety: both functions may be called from several threads and
// processes at once, and while other processes use the cache: VerifyCache
// reads one consistent file (our writers replace the file atomically), and
// RecoverCache works under the cache's write lock.

#ifndef TOKENCACHE_RECOVERY_H_
#define TOKENCACHE_RECOVERY_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tokencache/export.h"
#include "tokencache/status.h"

namespace tokencache {

// How many records of each kind a readable cache holds, counted after
// loading (records stored twice under different key spellings count once).
struct SectionCounts {
  std::size_t accounts = 0;
  std::size_t access_tokens = 0;
  std::size_t refresh_tokens = 0;
  std::size_t id_tokens = 0;
  std::size_t app_metadata = 0;
  std::size_t unknown_sections = 0;  // Top-level members kept as they are.
};

// What VerifyCache found. Holds no token text.
struct VerifyReport {
  // The verdict on the stored data:
  //   kOk           it reads back whole, or nothing is stored yet
  //                 (`exists` false), which opens as an empty cache;
  //   kCorrupted    it does not parse, fails the binary format's or the
  //                 journal's checksums,
  //                 or fails authentication although the key id matches
  //                 (altered bytes); a binary-format file of 0 bytes is
  //                 kCorrupted too, since tokencache never writes one;
  //   kWrongKey     it was sealed under a key this URI does not give, or it
  //                 is encrypted and the URI gives no key at all: the data
  //                 may well be fine with the right key;
  //   kNotSupported it was written by a newer tokencache (an unknown
  //                 envelope version or algorithm).
  Code code = Code::kOk;
  // Why, for humans: the failing field or position, and a hint when the
  // bytes read fine in the other format or with a key. Never token text.
  std::string detail;
  // When code is kCorrupted but the bytes do read back whole under another
  // reading, so that the URI is most likely wrong rather than the file:
  // "format=binary" or "format=msal-json" (the other format),
  // "format=journal" (the file is a journal), or "without
  // key" (an encrypted URI over an unencrypted cache). Empty otherwise.
  std::string readable_as;
  std::string path;         // The cache file that was checked.
  bool exists = false;      // Whether the file exists.
  std::uint64_t bytes = 0;  // Its size.
  std::string format;       // "msal-json", "binary" or "journal", as the
                            // URI says.
  bool encrypted = false;   // Whether the URI gives a key.
  SectionCounts counts;     // Zero unless code is kOk.
};

// Reads the cache `uri` names, decrypts and parses it exactly as OpenCache
// would, and reports the verdict. Writes nothing at all: no lock file, no
// directory, no key file, and temp files of crashed writers are left for
// the next open to remove. Takes no lock.
//
// The Result is an error only when the check could not be made:
// kInvalidArgument (malformed URI, unknown option), kNotSupported (a scheme
// other than file, or a keychain key), kPermissionDenied (a symbolic link
// at the cache path or its directory: "symlink refused"; the OS refused),
// kNotFound (the key file or key variable is missing), kUnavailable (the
// file kept changing while being read), kResourceExhausted (a passphrase
// key could not be derived), kIoError. A missing cache file is not an
// error: the report says exists == false and code kOk.
TOKENCACHE_EXPORT Result<VerifyReport> VerifyCache(std::string_view uri);

struct RecoverOptions {
  // Quarantine even a cache that verifies OK, or one that reads fine under
  // another reading of its URI (VerifyReport::readable_as). Default: false.
  bool force = false;

  // Quarantine a cache that verifies as kWrongKey or kNotSupported. Such
  // data may be perfectly good with the right key or a newer tokencache,
  // so this takes its own flag (`force` does not imply it). Default: false.
  bool force_wrong_key = false;

  // How long to wait for the cache's write lock. Default: 30 s.
  std::chrono::milliseconds lock_timeout{30000};

  // The quarantine file's name, in the cache's directory. Default (empty):
  // "<cache file name>.corrupt-<UTC time as YYYYMMDDTHHMMSSZ>-<16 random
  // hex digits>". Must be a plain name (no '/'); an existing file or
  // symbolic link of that name is never replaced.
  std::string quarantine_name;
};

struct RecoverReport {
  VerifyReport found;           // The verdict, made under the write lock.
  std::string quarantine_path;  // Where the old file is now (mode 0600).
};

// Moves the cache file of `uri` aside so that the next open starts empty:
// under the cache's exclusive write lock (the lock the URI selects), it
// verifies the file again, then renames it within its directory to the
// quarantine name (never following or replacing a symbolic link, never
// replacing an existing file), sets its mode to 0600 and syncs the
// directory. Nothing is deleted. A Cache that another process holds open
// sees the file gone at its next reload and starts empty, like a new one.
//
// Errors (nothing is moved in any of these cases):
//   kInvalidArgument   malformed URI, unknown option, a quarantine_name
//                      that is not a plain name, or the cache verifies OK
//                      (or reads fine under another reading, see
//                      VerifyReport::readable_as) and `force` is unset;
//   kWrongKey, kNotSupported  the verdict was that, and `force_wrong_key`
//                      is unset;
//   kNotFound          no cache file exists (nothing to recover), or the
//                      key file or variable is missing;
//   kPermissionDenied  a symbolic link at the cache path, its directory or
//                      the quarantine name ("symlink refused"), or the OS
//                      refused;
//   kConflict          a file already exists at an explicit
//                      quarantine_name;
//   kLockTimeout       the write lock was not acquired in time;
//   kNotSupported      a scheme other than file, or a keychain key;
//   kIoError           other OS failures (the file stays where it was).
TOKENCACHE_EXPORT Result<RecoverReport> RecoverCache(
    std::string_view uri, const RecoverOptions& options = RecoverOptions());

}  // namespace tokencache

#endif  // TOKENCACHE_RECOVERY_H_
