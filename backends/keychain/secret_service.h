// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The only code that talks to libsecret. Everything else in the keychain
// backend sees items as (name, kind) -> SecretBytes and errors as Status, so
// the error mapping of platform-notes.md section 1 lives in one place.
//
// Thread safety: libsecret's *_sync calls run their own main context, so
// these functions may be called from several threads at once.

#ifndef TOKENCACHE_BACKENDS_KEYCHAIN_SECRET_SERVICE_H_
#define TOKENCACHE_BACKENDS_KEYCHAIN_SECRET_SERVICE_H_

#include <optional>
#include <string_view>

#include "tokencache/backends/keychain.h"
#include "tokencache/secret.h"
#include "tokencache/status.h"

namespace tokencache {
namespace internal {

// The `kind` attribute values.
inline constexpr std::string_view kKindCache = "cache";
inline constexpr std::string_view kKindKey = "key";
inline constexpr std::string_view kKindProbe = "probe";

// The schema name shown by secret-tool and seahorse.
inline constexpr char kSchemaName[] = "org.tokencache.Cache";

// Returns kInvalidArgument unless both parts are non-empty, at most 255
// bytes and free of NUL bytes.
Status CheckItemName(const KeychainItemName& name);

// Returns the item's secret, or nullopt when no such item exists.
Result<std::optional<SecretBytes>> LookupSecret(const KeychainItemName& name,
                                                std::string_view kind);

// Creates or replaces the item's secret (binary, application/octet-stream)
// in the default collection.
Status StoreSecret(const KeychainItemName& name, std::string_view kind,
                   std::string_view secret);

// Removes the item. Returns whether one was removed.
Result<bool> ClearSecret(const KeychainItemName& name, std::string_view kind);

// Whether the session bus can be reached and a provider owns, or can be
// activated as, org.freedesktop.secrets. On false, the Status says why
// (the same messages as the calls above).
Status CheckServiceReachable();

}  // namespace internal
}  // namespace tokencache

#endif  // TOKENCACHE_BACKENDS_KEYCHAIN_SECRET_SERVICE_H_
