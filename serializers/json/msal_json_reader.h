// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The reading half of the MSAL JSON serializer: a rapidjson SAX handler that
// builds a CacheSnapshot straight from the parse events (no DOM), over a
// private copy of the input that is parsed in place and wiped afterwards.

#ifndef TOKENCACHE_SERIALIZERS_JSON_MSAL_JSON_READER_H_
#define TOKENCACHE_SERIALIZERS_JSON_MSAL_JSON_READER_H_

#include <cstddef>
#include <string_view>

#include "tokencache/schema.h"
#include "tokencache/status.h"

namespace tokencache {
namespace internal {

// Parses `bytes` as an MSAL token cache. `max_depth` >= 3 bounds the nesting
// of objects and arrays. See include/tokencache/serializers/json.h for the
// accepted dialects and docs/msal-json.md for the rules.
Result<CacheSnapshot> ReadMsalJson(std::string_view bytes, int max_depth);

}  // namespace internal
}  // namespace tokencache

#endif  // TOKENCACHE_SERIALIZERS_JSON_MSAL_JSON_READER_H_
