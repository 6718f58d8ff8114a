// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Records: one entity behind a short header (docs/binary-format.md §5).
// The header ends with the length of the fields so that a record cut short
// at a field boundary is still reported as truncated.

#include <cstddef>
#include <cstdint>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "serializers/binary/binary_codec.h"
#include "serializers/binary/binary_wire.h"
#include "tokencache/serializers/binary.h"

namespace tokencache {
namespace {

using internal::CorruptAt;
using internal::CountFields;
using internal::CountingSink;
using internal::DecodeFields;
using internal::kRecordMagic;
using internal::VarintStatus;
using internal::WireReader;
using internal::WriteFields;
using internal::WritingSink;

template <typename T>
struct KindOf;
template <>
struct KindOf<Account> {
  static constexpr EntityKind kValue = EntityKind::kAccount;
};
template <>
struct KindOf<AccessToken> {
  static constexpr EntityKind kValue = EntityKind::kAccessToken;
};
template <>
struct KindOf<RefreshToken> {
  static constexpr EntityKind kValue = EntityKind::kRefreshToken;
};
template <>
struct KindOf<IdToken> {
  static constexpr EntityKind kValue = EntityKind::kIdToken;
};
template <>
struct KindOf<AppMetadata> {
  static constexpr EntityKind kValue = EntityKind::kAppMetadata;
};

Status Unexpected() {
  // The public functions promise not to throw; the only exception the codec
  // can raise is an allocation failure.
  return InternalError("binary record: out of memory");
}

template <typename Sink>
void EmitHeader(Sink* sink, EntityKind kind, std::size_t fields_size) {
  sink->Bytes(kRecordMagic);
  sink->Byte(kBinaryFormatVersion);
  sink->Varint(static_cast<std::uint8_t>(kind));
  sink->Varint(fields_size);
}

template <typename T>
Result<SecretBytes> EncodeImpl(const T& entity) {
  try {
    std::size_t fields = 0;
    Status s = CountFields(entity, &fields);
    if (!s.ok()) return s;
    CountingSink header;
    EmitHeader(&header, KindOf<T>::kValue, fields);
    SecretBytes out;
    out.Resize(header.size() + fields);
    WritingSink sink(out.mutable_data());
    EmitHeader(&sink, KindOf<T>::kValue, fields);
    s = WriteFields(entity, &sink);
    if (!s.ok()) return s;
    if (sink.written() != out.size()) {
      return InternalError("binary record: size pass and write pass differ");
    }
    return out;
  } catch (const std::bad_alloc&) {
    return Unexpected();
  }
}

// Validates the header; on success `kind` is known and `*fields_offset` is
// where the fields start.
Status ParseHeader(std::string_view record, EntityKind* kind,
                   std::size_t* fields_offset) {
  if (record.size() < kRecordMagic.size() ||
      record.substr(0, kRecordMagic.size()) != kRecordMagic) {
    return CorruptAt(0, "binary record: not a tokencache record (bad magic)");
  }
  WireReader r(record.substr(kRecordMagic.size()), kRecordMagic.size());
  std::string_view version;
  if (!r.Take(1, &version)) {
    return CorruptAt(r.offset(), "binary record: header cut short");
  }
  const auto v = static_cast<std::uint8_t>(version[0]);
  if (v == 0) {
    return CorruptAt(r.offset() - 1, "binary record: format version 0");
  }
  if (v > kBinaryFormatVersion) {
    return Status(Code::kNotSupported,
                  "binary record: format version " + std::to_string(v) +
                      " is newer than this build reads (" +
                      std::to_string(kBinaryFormatVersion) + ")");
  }
  std::uint64_t k = 0;
  const std::size_t kind_offset = r.offset();
  VarintStatus vs = r.ReadVarint(&k);
  if (vs != VarintStatus::kOk) {
    return internal::VarintError(vs, kind_offset, "binary record: kind");
  }
  if (k == 0) return CorruptAt(kind_offset, "binary record: entity kind 0");
  if (k > static_cast<std::uint8_t>(EntityKind::kAppMetadata)) {
    return Status(Code::kNotSupported, "binary record: entity kind " +
                                           std::to_string(k) +
                                           " is unknown to this build");
  }
  std::uint64_t length = 0;
  const std::size_t length_offset = r.offset();
  vs = r.ReadVarint(&length);
  if (vs != VarintStatus::kOk) {
    return internal::VarintError(vs, length_offset, "binary record: length");
  }
  if (length != r.remaining()) {
    return CorruptAt(length_offset, "binary record: the header announces " +
                                        std::to_string(length) +
                                        " field bytes but " +
                                        std::to_string(r.remaining()) +
                                        " follow (truncated or extended)");
  }
  *kind = static_cast<EntityKind>(k);
  *fields_offset = r.offset();
  return Status();
}

template <typename T>
Status DecodeInto(std::string_view record, std::size_t fields_offset,
                  T* entity) {
  Status s = DecodeFields(record.substr(fields_offset), fields_offset, entity);
  return s.ok() ? s : s.WithContext("binary record");
}

template <typename T>
Result<T> DecodeTyped(std::string_view record) {
  try {
    EntityKind kind{};
    std::size_t fields_offset = 0;
    Status s = ParseHeader(record, &kind, &fields_offset);
    if (!s.ok()) return s;
    if (kind != KindOf<T>::kValue) {
      return InvalidArgumentError(
          std::string("binary record: holds the kind '") +
          internal::EntityName(kind) + "', not '" +
          internal::EntityName(KindOf<T>::kValue) + "'");
    }
    T entity;
    s = DecodeInto(record, fields_offset, &entity);
    if (!s.ok()) return s;
    return entity;
  } catch (const std::bad_alloc&) {
    return Unexpected();
  }
}

}  // namespace

Result<SecretBytes> EncodeRecord(const Account& account) {
  return EncodeImpl(account);
}
Result<SecretBytes> EncodeRecord(const AccessToken& token) {
  return EncodeImpl(token);
}
Result<SecretBytes> EncodeRecord(const RefreshToken& token) {
  return EncodeImpl(token);
}
Result<SecretBytes> EncodeRecord(const IdToken& token) {
  return EncodeImpl(token);
}
Result<SecretBytes> EncodeRecord(const AppMetadata& app) {
  return EncodeImpl(app);
}
Result<SecretBytes> EncodeRecord(const AnyEntity& entity) {
  return std::visit([](const auto& e) { return EncodeImpl(e); }, entity);
}

Result<EntityKind> PeekRecordKind(std::string_view record) {
  EntityKind kind{};
  std::size_t fields_offset = 0;
  try {
    Status s = ParseHeader(record, &kind, &fields_offset);
    if (!s.ok()) return s;
  } catch (const std::bad_alloc&) {
    return Unexpected();
  }
  return kind;
}

Result<AnyEntity> DecodeRecord(std::string_view record) {
  try {
    EntityKind kind{};
    std::size_t fields_offset = 0;
    Status s = ParseHeader(record, &kind, &fields_offset);
    if (!s.ok()) return s;
    AnyEntity entity;
    switch (kind) {
      case EntityKind::kAccount:
        s = DecodeInto(record, fields_offset, &entity.emplace<Account>());
        break;
      case EntityKind::kAccessToken:
        s = DecodeInto(record, fields_offset, &entity.emplace<AccessToken>());
        break;
      case EntityKind::kRefreshToken:
        s = DecodeInto(record, fields_offset, &entity.emplace<RefreshToken>());
        break;
      case EntityKind::kIdToken:
        s = DecodeInto(record, fields_offset, &entity.emplace<IdToken>());
        break;
      case EntityKind::kAppMetadata:
        s = DecodeInto(record, fields_offset, &entity.emplace<AppMetadata>());
        break;
    }
    if (!s.ok()) return s;
    return entity;
  } catch (const std::bad_alloc&) {
    return Unexpected();
  }
}

Result<Account> DecodeAccount(std::string_view record) {
  return DecodeTyped<Account>(record);
}
Result<AccessToken> DecodeAccessToken(std::string_view record) {
  return DecodeTyped<AccessToken>(record);
}
Result<RefreshToken> DecodeRefreshToken(std::string_view record) {
  return DecodeTyped<RefreshToken>(record);
}
Result<IdToken> DecodeIdToken(std::string_view record) {
  return DecodeTyped<IdToken>(record);
}
Result<AppMetadata> DecodeAppMetadata(std::string_view record) {
  return DecodeTyped<AppMetadata>(record);
}

}  // namespace tokencache
