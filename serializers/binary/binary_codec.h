// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The field layer of the binary format, shared by records
// (binary_record.cc) and snapshots (binary_snapshot.cc): how the fields of
// one entity are encoded as tag-length-value triples and decoded back, and
// how data this version does not understand is carried in ExtraFields.
// docs/binary-format.md §3-4 is the specification.

#ifndef TOKENCACHE_SERIALIZERS_BINARY_BINARY_CODEC_H_
#define TOKENCACHE_SERIALIZERS_BINARY_BINARY_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "serializers/binary/binary_wire.h"
#include "tokencache/schema.h"
#include "tokencache/secret.h"
#include "tokencache/serializers/binary.h"
#include "tokencache/status.h"

namespace tokencache {
namespace internal {

// 0xC1 never occurs in UTF-8, so neither header can be mistaken for JSON or
// any other text.
inline constexpr std::string_view kRecordMagic = "\xC1T";
inline constexpr std::string_view kSnapshotMagic = "\xC1S";

// Tag 1 of every entity is an ExtraField (name, JSON text).
inline constexpr std::uint64_t kExtraFieldTag = 1;
// Tags and entity kinds are varints in [1, kMaxNumber].
inline constexpr std::uint64_t kMaxNumber = 0xFFFFFFFFu;

// Names under which unknown fields and unknown snapshot entries are kept.
inline constexpr std::string_view kUnknownFieldPrefix = "tokencache:bin:";
inline constexpr std::string_view kUnknownKindPrefix = "tokencache:bin-kind:";

// "access token", "account"...: for error messages.
const char* EntityName(EntityKind kind);

// Counts the encoded size of `entity`'s fields (no header). Fails with
// kInvalidArgument for a duplicated StringPairs key.
template <typename T>
Status CountFields(const T& entity, std::size_t* size);

// Writes `entity`'s fields; REQUIRES: CountFields succeeded and `sink` has
// room for the size it returned.
template <typename T>
Status WriteFields(const T& entity, WritingSink* sink);

// Decodes the fields in `bytes` into `entity`, which must be empty. `base`
// is the offset of `bytes` within the caller's input, for messages.
template <typename T>
Status DecodeFields(std::string_view bytes, std::size_t base, T* entity);

// The carrier of unknown data: an ExtraField named `prefix` + decimal
// `number` whose JSON value is a base64 string of `bytes`.
ExtraField MakeCarrier(std::string_view prefix, std::uint64_t number,
                       std::string_view bytes);

// Recognises a carrier written by MakeCarrier: returns true and fills
// `number` and `bytes` only when the name and value are exactly what
// MakeCarrier would produce (so that re-encoding is lossless); anything else
// is an ordinary extra field.
bool ParseCarrier(const ExtraField& field, std::string_view prefix,
                  std::uint64_t* number, SecretBytes* bytes);

// kCorrupted "<what> at byte <offset>".
Status CorruptAt(std::size_t offset, std::string_view what);
// The kCorrupted status for a varint that did not read.
Status VarintError(VarintStatus status, std::size_t offset,
                   std::string_view what);

}  // namespace internal
}  // namespace tokencache

#endif  // TOKENCACHE_SERIALIZERS_BINARY_BINARY_CODEC_H_
