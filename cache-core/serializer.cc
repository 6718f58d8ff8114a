// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "tokencache/serializer.h"

#include <exception>
#include <string>

namespace tokencache {
namespace {

Status HookThrew(std::string_view name) {
  // The exception text is dropped: it may quote the input.
  return Status(Code::kInternal, std::string(name) +
                                     ": unexpected exception in serializer");
}

}  // namespace

Serializer::~Serializer() = default;

Result<SecretBytes> Serializer::Serialize(const CacheSnapshot& snapshot) const {
  try {
    return DoSerialize(snapshot);
  } catch (...) {
    return HookThrew(Name());
  }
}

Result<CacheSnapshot> Serializer::Deserialize(std::string_view bytes) const {
  try {
    return DoDeserialize(bytes);
  } catch (...) {
    return HookThrew(Name());
  }
}

}  // namespace tokencache
