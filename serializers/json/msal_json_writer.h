// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The writing half of the MSAL JSON serializer: rapidjson's Writer emitting
// straight into SecretBytes, so that no unwiped copy of the output exists.

#ifndef TOKENCACHE_SERIALIZERS_JSON_MSAL_JSON_WRITER_H_
#define TOKENCACHE_SERIALIZERS_JSON_MSAL_JSON_WRITER_H_

#include <cstddef>

#include "tokencache/schema.h"
#include "tokencache/secret.h"
#include "tokencache/status.h"

namespace tokencache {
namespace internal {

struct MsalJsonWriteOptions {
  bool pretty = false;
  int max_depth = 64;                  // >= 3; bounds extra fields' nesting
  std::size_t max_output_bytes = 0;    // 0: no limit
};

// Encodes `snapshot` in the MSAL JSON form described in docs/msal-json.md.
// kInvalidArgument when an extra field or unknown section is not one valid
// JSON value (or nests too deeply, or an unknown section reuses a section
// name); kResourceExhausted when the output exceeds max_output_bytes.
Result<SecretBytes> WriteMsalJson(const CacheSnapshot& snapshot,
                                  const MsalJsonWriteOptions& options);

}  // namespace internal
}  // namespace tokencache

#endif  // TOKENCACHE_SERIALIZERS_JSON_MSAL_JSON_WRITER_H_
