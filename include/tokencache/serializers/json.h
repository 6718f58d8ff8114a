// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The MSAL JSON serializer: reads the token-cache files that MSAL .NET,
// MSAL Python and msal-node write, and writes one form that all three read.
// docs/msal-json.md records every format decision; the short version:
//
// Reading
//  - The document is one JSON object with the sections Account, IdToken,
//    AccessToken, RefreshToken and AppMetadata. The keys inside a section are
//    ignored: entities are identified by their fields, and every entry is
//    returned (the core de-duplicates). Absent or null sections are empty.
//    Other top-level members are kept verbatim in
//    CacheSnapshot::unknown_sections.
//  - All three dialects: kid / key_id / keyid, user_assertion_hash /
//    userAssertionHash, NET `ext` and msal-node `additionalCacheKeyComponents`,
//    extended_expires_on with NET's ext_expires_on as fallback, msal-node's
//    tenantProfiles (an array of JSON-encoded strings), wam_account_ids.
//  - Timestamps may be strings or numbers; null and absent mean 0. A timestamp
//    that is not a decimal int64 reads as 0 (expired) and its original text
//    is kept as an extra field, so it is written back unchanged.
//  - Unknown fields inside an entity are kept in `extra`, in read order, as
//    compact JSON text.
//  - Empty input, or only white space, is an empty cache.
//
// Writing
//  - All five sections (Account, IdToken, AccessToken, RefreshToken,
//    AppMetadata), then the unknown sections. Keys follow msal-node 7's
//    layout, which MSAL .NET and Python read too (.NET recomputes keys; Python
//    and msal-node look entities up by content). Timestamps are decimal
//    strings. A cache written by msal-node is written back byte for byte.
//
// Errors (Deserialize): kCorrupted for anything malformed (the message names
// the byte offset, section, entry index and field, never the data);
// kResourceExhausted when the input exceeds max_input_bytes. Serialize
// returns kInvalidArgument when an extra field or unknown section does not
// hold valid JSON, and kResourceExhausted when the output would exceed
// max_input_bytes (so that it could not be read back).
//
// Thread safety: the serializer is immutable; one instance may be used from
// several threads at once.

#ifndef TOKENCACHE_SERIALIZERS_JSON_H_
#define TOKENCACHE_SERIALIZERS_JSON_H_

#include <cstddef>
#include <memory>

#include "tokencache/export.h"
#include "tokencache/serializer.h"

namespace tokencache {

struct JsonSerializerOptions {
  // Largest input Deserialize accepts, and largest output Serialize produces.
  // Larger inputs fail with kResourceExhausted before any parsing.
  std::size_t max_input_bytes = std::size_t{256} << 20;  // 256 MiB

  // Deepest nesting of objects and arrays accepted, counting the top-level
  // object as 1 (entities sit at depth 3). Deeper input fails with
  // kCorrupted; values below 3 are treated as 3. Applies to each
  // tenantProfiles string on its own, and to extra fields on write.
  int max_depth = 64;

  // Indent the output (4 spaces, one member per line). Off by default: MSAL
  // libraries write compact JSON and compact JSON is faster to read.
  bool pretty = false;
};

// Returns the MSAL JSON serializer; Name() is "msal-json". Never null.
TOKENCACHE_EXPORT std::unique_ptr<Serializer> NewMsalJsonSerializer(
    const JsonSerializerOptions& options = {});

}  // namespace tokencache

#endif  // TOKENCACHE_SERIALIZERS_JSON_H_
