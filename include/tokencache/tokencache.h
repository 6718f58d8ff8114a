// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The umbrella header for the common case: open a cache by URI and use it.
//
//   #include "tokencache/tokencache.h"
//
//   tokencache::Result<std::unique_ptr<tokencache::Cache>> cache =
//       tokencache::OpenCache("file:///home/u/.cache/app/msal_cache.json");
//   if (!cache.ok()) { /* switch on cache.status().code() */ }
//
// Link tokencache::tokencache (CMake) or `pkg-config --libs tokencache`.
// The built-in backends and their URI options:
//
//   memory:
//       A cache in this process only.
//   file:///abs/path[?format=msal-json|binary][&lock=file|msal|none]
//                   [&key=SPEC][&cache-id=ID]
//       One file replaced atomically on every write. format=msal-json
//       (default) keeps it readable by MSAL .NET, Python and Node apps.
//       lock=file (default) takes an OS lock on "<path>.lock", excluding
//       other processes and threads; lock=msal also honours MSAL's
//       "<path>.lockfile" so MSAL apps sharing the file are excluded too;
//       lock=none is for a file only one process ever opens.
//       key=SPEC encrypts the file (XChaCha20-Poly1305): SPEC is
//       file:/abs/key (a 0600 key file, created on first use),
//       passphrase-env:VAR (Argon2id from a passphrase in $VAR) or
//       key-env:VAR (a base64 32-byte key in $VAR). The sealed data is bound
//       to the file's absolute path unless cache-id=ID names another id, so
//       a sealed file moved elsewhere needs cache-id to open.
//
// Other backends register with BackendRegistry (registry.h).

#ifndef TOKENCACHE_TOKENCACHE_H_
#define TOKENCACHE_TOKENCACHE_H_

#include <memory>
#include <string_view>

#include "tokencache/cache.h"
#include "tokencache/clock.h"
#include "tokencache/export.h"
#include "tokencache/query.h"
#include "tokencache/registry.h"
#include "tokencache/schema.h"
#include "tokencache/status.h"
#include "tokencache/token_response.h"
#include "tokencache/uri.h"

namespace tokencache {

// Registers every backend this build of tokencache contains (see above).
// Returns kConflict when one of their schemes is already registered.
TOKENCACHE_EXPORT Status RegisterBuiltinBackends(BackendRegistry& registry);

// Opens `uri` with the built-in backends. Equivalent to registering them in
// a fresh BackendRegistry and calling its Open. Errors: kInvalidArgument for
// a malformed URI or an unknown option, kNotFound for an unknown scheme,
// and the backend's errors (kPermissionDenied, kCorrupted, kWrongKey, ...).
TOKENCACHE_EXPORT Result<std::unique_ptr<Cache>> OpenCache(
    std::string_view uri, const CacheOptions& options = CacheOptions());

}  // namespace tokencache

#endif  // TOKENCACHE_TOKENCACHE_H_
