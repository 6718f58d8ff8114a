// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// A Serializer turns a whole cache (CacheSnapshot) into bytes and back. The
// built-in ones are MSAL JSON (serializers/json.h: the format MSAL .NET,
// Python and Node read and write) and the compact binary format
// (serializers/binary.h). Both keep fields they do not model.
//
// The public methods are non-virtual: they call the Do* hooks and turn any
// exception a hook throws into kInternal. Implementations must be stateless
// or internally synchronized: one serializer may be used from several
// threads at once.

#ifndef TOKENCACHE_SERIALIZER_H_
#define TOKENCACHE_SERIALIZER_H_

#include <string_view>

#include "tokencache/export.h"
#include "tokencache/schema.h"
#include "tokencache/secret.h"
#include "tokencache/status.h"

namespace tokencache {

class TOKENCACHE_EXPORT Serializer {
 public:
  Serializer() = default;
  Serializer(const Serializer&) = delete;
  Serializer& operator=(const Serializer&) = delete;
  virtual ~Serializer();

  // Short, stable name such as "msal-json"; appears in error messages.
  virtual std::string_view Name() const = 0;

  // Encodes `snapshot`. The result holds token text, hence SecretBytes.
  Result<SecretBytes> Serialize(const CacheSnapshot& snapshot) const;

  // Decodes `bytes`. Empty input (or only white space) is an empty cache.
  // Returns kCorrupted for anything malformed; the message says where and
  // why, and never quotes the input.
  Result<CacheSnapshot> Deserialize(std::string_view bytes) const;

 protected:
  virtual Result<SecretBytes> DoSerialize(
      const CacheSnapshot& snapshot) const = 0;
  virtual Result<CacheSnapshot> DoDeserialize(std::string_view bytes) const = 0;
};

}  // namespace tokencache

#endif  // TOKENCACHE_SERIALIZER_H_
