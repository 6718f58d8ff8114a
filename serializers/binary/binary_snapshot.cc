// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Snapshots: a whole CacheSnapshot in a checksummed envelope
// (docs/binary-format.md §6), and the Serializer that reads and writes them.

#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "serializers/binary/binary_codec.h"
#include "serializers/binary/binary_wire.h"
#include "tokencache/serializer.h"
#include "tokencache/serializers/binary.h"

namespace tokencache {
namespace {

using internal::CorruptAt;
using internal::CountFields;
using internal::DecodeFields;
using internal::kSnapshotMagic;
using internal::VarintStatus;
using internal::WireReader;
using internal::WritingSink;

// Envelope layout. It is the same in every format version, so that the
// checksum is verified before the version is interpreted: a flipped version
// bit is then reported as corruption, not as "written by a newer version".
constexpr std::size_t kVersionOffset = 2;
constexpr std::size_t kFlagsOffset = 3;
constexpr std::size_t kLengthOffset = 4;
constexpr std::size_t kChecksumOffset = 12;
constexpr std::size_t kChecksumSize = 16;
constexpr std::size_t kEnvelopeSize = kChecksumOffset + kChecksumSize;
static_assert(kChecksumSize >= crypto_generichash_BYTES_MIN &&
                  kChecksumSize <= crypto_generichash_BYTES_MAX,
              "BLAKE2b output size");

// Entry kind 6 holds a CacheSnapshot::unknown_sections member (a top-level
// JSON member MSAL JSON carried): name length, name, JSON text.
constexpr std::uint64_t kUnknownSectionKind = 6;

bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

// BLAKE2b-128 over the envelope's first 12 bytes (magic, version, flags,
// length) and the body: every byte except the checksum itself.
void Checksum(std::string_view head, std::string_view body,
              unsigned char out[kChecksumSize]) {
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, kChecksumSize);
  crypto_generichash_update(
      &state, reinterpret_cast<const unsigned char*>(head.data()), head.size());
  crypto_generichash_update(
      &state, reinterpret_cast<const unsigned char*>(body.data()), body.size());
  crypto_generichash_final(&state, out, kChecksumSize);
}

bool IsBlank(std::string_view bytes) {
  for (char c : bytes) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return false;
  }
  return true;
}

// One body entry to write: an entity (with its field size, counted once) or
// an unknown section.
struct Plan {
  std::vector<std::size_t> entity_sizes;
  std::size_t body_size = 0;
};

template <typename T>
Status PlanEntities(const std::vector<T>& entities, EntityKind kind,
                    Plan* plan) {
  for (const T& entity : entities) {
    std::size_t size = 0;
    Status s = CountFields(entity, &size);
    if (!s.ok()) return s;
    plan->entity_sizes.push_back(size);
    plan->body_size += internal::VarintSize(static_cast<std::uint8_t>(kind)) +
                       internal::VarintSize(size) + size;
  }
  return Status();
}

template <typename T>
Status WriteEntities(const std::vector<T>& entities, EntityKind kind,
                     const Plan& plan, std::size_t* next, WritingSink* sink) {
  for (const T& entity : entities) {
    sink->Varint(static_cast<std::uint8_t>(kind));
    sink->Varint(plan.entity_sizes[(*next)++]);
    Status s = internal::WriteFields(entity, sink);
    if (!s.ok()) return s;
  }
  return Status();
}

// Writes the unknown sections: a carrier of an unknown entry kind goes back
// under that kind as its raw bytes; anything else is a kind-6 entry
// (name length, name, JSON text).
template <typename Sink>
void EmitUnknownSections(const ExtraFields& sections, Sink* sink) {
  for (const ExtraField& section : sections) {
    std::uint64_t kind = 0;
    SecretBytes raw;
    if (internal::ParseCarrier(section, internal::kUnknownKindPrefix, &kind,
                               &raw) &&
        kind > kUnknownSectionKind) {
      sink->Varint(kind);
      sink->Varint(raw.size());
      sink->Bytes(raw.view());
      continue;
    }
    const std::string& name = section.name;
    sink->Varint(kUnknownSectionKind);
    sink->Varint(internal::VarintSize(name.size()) + name.size() +
                 section.json_value.size());
    sink->Varint(name.size());
    sink->Bytes(name);
    sink->Bytes(section.json_value);
  }
}

template <typename T>
Status DecodeEntry(std::string_view value, std::size_t offset,
                   std::vector<T>* out) {
  out->emplace_back();
  return DecodeFields(value, offset, &out->back());
}

class BinarySerializer final : public Serializer {
 public:
  std::string_view Name() const override { return "binary"; }

 protected:
  Result<SecretBytes> DoSerialize(
      const CacheSnapshot& snapshot) const override {
    if (!SodiumReady()) return InternalError("binary: sodium_init failed");
    Plan plan;
    std::size_t total_entities =
        snapshot.accounts.size() + snapshot.access_tokens.size() +
        snapshot.refresh_tokens.size() + snapshot.id_tokens.size() +
        snapshot.app_metadata.size();
    plan.entity_sizes.reserve(total_entities);
    Status s = PlanEntities(snapshot.accounts, EntityKind::kAccount, &plan);
    if (s.ok()) {
      s = PlanEntities(snapshot.access_tokens, EntityKind::kAccessToken, &plan);
    }
    if (s.ok()) {
      s = PlanEntities(snapshot.refresh_tokens, EntityKind::kRefreshToken,
                       &plan);
    }
    if (s.ok()) {
      s = PlanEntities(snapshot.id_tokens, EntityKind::kIdToken, &plan);
    }
    if (s.ok()) {
      s = PlanEntities(snapshot.app_metadata, EntityKind::kAppMetadata, &plan);
    }
    if (!s.ok()) return s.WithContext("binary snapshot");
    internal::CountingSink unknown;
    EmitUnknownSections(snapshot.unknown_sections, &unknown);
    plan.body_size += unknown.size();

    SecretBytes out;
    out.Resize(kEnvelopeSize + plan.body_size);
    char* data = out.mutable_data();
    data[0] = kSnapshotMagic[0];
    data[1] = kSnapshotMagic[1];
    data[kVersionOffset] = static_cast<char>(kBinaryFormatVersion);
    data[kFlagsOffset] = 0;
    std::uint64_t length = plan.body_size;
    for (std::size_t i = 0; i < 8; ++i) {
      data[kLengthOffset + i] = static_cast<char>((length >> (8 * i)) & 0xff);
    }
    WritingSink sink(data + kEnvelopeSize);
    std::size_t next = 0;
    s = WriteEntities(snapshot.accounts, EntityKind::kAccount, plan, &next,
                      &sink);
    if (s.ok()) {
      s = WriteEntities(snapshot.access_tokens, EntityKind::kAccessToken, plan,
                        &next, &sink);
    }
    if (s.ok()) {
      s = WriteEntities(snapshot.refresh_tokens, EntityKind::kRefreshToken,
                        plan, &next, &sink);
    }
    if (s.ok()) {
      s = WriteEntities(snapshot.id_tokens, EntityKind::kIdToken, plan, &next,
                        &sink);
    }
    if (s.ok()) {
      s = WriteEntities(snapshot.app_metadata, EntityKind::kAppMetadata, plan,
                        &next, &sink);
    }
    if (!s.ok()) return s.WithContext("binary snapshot");
    EmitUnknownSections(snapshot.unknown_sections, &sink);
    if (sink.written() != plan.body_size) {
      return InternalError("binary snapshot: size pass and write pass differ");
    }
    Checksum(std::string_view(data, kChecksumOffset),
             std::string_view(data + kEnvelopeSize, plan.body_size),
             reinterpret_cast<unsigned char*>(data + kChecksumOffset));
    return out;
  }

  Result<CacheSnapshot> DoDeserialize(std::string_view bytes) const override {
    if (IsBlank(bytes)) return CacheSnapshot();
    if (!SodiumReady()) return InternalError("binary: sodium_init failed");
    if (!IsBinarySnapshot(bytes)) {
      return CorruptAt(0,
                       "binary snapshot: not a tokencache snapshot "
                       "(bad magic)");
    }
    if (bytes.size() < kEnvelopeSize) {
      return CorruptAt(bytes.size(),
                       "binary snapshot: envelope cut short (truncated)");
    }
    std::uint64_t length = 0;
    for (std::size_t i = 0; i < 8; ++i) {
      length |=
          std::uint64_t{static_cast<unsigned char>(bytes[kLengthOffset + i])}
          << (8 * i);
    }
    const std::size_t present = bytes.size() - kEnvelopeSize;
    if (length != present) {
      return CorruptAt(kLengthOffset,
                       "binary snapshot: the envelope announces " +
                           std::to_string(length) + " body bytes but " +
                           std::to_string(present) +
                           " follow (truncated or extended)");
    }
    const std::string_view body = bytes.substr(kEnvelopeSize);
    unsigned char expected[kChecksumSize];
    Checksum(bytes.substr(0, kChecksumOffset), body, expected);
    if (sodium_memcmp(expected, bytes.data() + kChecksumOffset,
                      kChecksumSize) != 0) {
      return CorruptAt(kChecksumOffset,
                       "binary snapshot: checksum mismatch (the bytes were "
                       "damaged)");
    }
    const auto version = static_cast<std::uint8_t>(bytes[kVersionOffset]);
    if (version == 0) {
      return CorruptAt(kVersionOffset, "binary snapshot: format version 0");
    }
    if (version > kBinaryFormatVersion) {
      return Status(Code::kNotSupported,
                    "binary snapshot: format version " +
                        std::to_string(version) +
                        " is newer than this build reads (" +
                        std::to_string(kBinaryFormatVersion) + ")");
    }
    if (bytes[kFlagsOffset] != 0) {
      return Status(Code::kNotSupported,
                    "binary snapshot: envelope flags this build does not "
                    "know");
    }
    return DecodeBody(body);
  }

 private:
  static Result<CacheSnapshot> DecodeBody(std::string_view body) {
    CacheSnapshot snapshot;
    WireReader r(body, kEnvelopeSize);
    for (std::size_t index = 0; !r.done(); ++index) {
      const std::size_t entry_offset = r.offset();
      const std::string context =
          "binary snapshot: entry " + std::to_string(index);
      std::uint64_t kind = 0;
      VarintStatus vs = r.ReadVarint(&kind);
      if (vs != VarintStatus::kOk) {
        return internal::VarintError(vs, entry_offset, context + " kind");
      }
      if (kind == 0 || kind > internal::kMaxNumber) {
        return CorruptAt(entry_offset, context + ": kind out of range");
      }
      std::uint64_t length = 0;
      vs = r.ReadVarint(&length);
      if (vs != VarintStatus::kOk) {
        return internal::VarintError(vs, r.offset(), context + " length");
      }
      const std::size_t left = r.remaining();
      std::string_view value;
      if (!r.Take(length, &value)) {
        return CorruptAt(entry_offset,
                         context + ": length " + std::to_string(length) +
                             " overruns the " + std::to_string(left) +
                             " bytes left");
      }
      const std::size_t value_offset = r.offset() - value.size();
      Status s;
      switch (kind) {
        case static_cast<std::uint8_t>(EntityKind::kAccount):
          s = DecodeEntry(value, value_offset, &snapshot.accounts);
          break;
        case static_cast<std::uint8_t>(EntityKind::kAccessToken):
          s = DecodeEntry(value, value_offset, &snapshot.access_tokens);
          break;
        case static_cast<std::uint8_t>(EntityKind::kRefreshToken):
          s = DecodeEntry(value, value_offset, &snapshot.refresh_tokens);
          break;
        case static_cast<std::uint8_t>(EntityKind::kIdToken):
          s = DecodeEntry(value, value_offset, &snapshot.id_tokens);
          break;
        case static_cast<std::uint8_t>(EntityKind::kAppMetadata):
          s = DecodeEntry(value, value_offset, &snapshot.app_metadata);
          break;
        case kUnknownSectionKind: {
          WireReader pr(value, value_offset);
          std::uint64_t name_length = 0;
          std::string_view name;
          if (pr.ReadVarint(&name_length) != VarintStatus::kOk ||
              !pr.Take(name_length, &name)) {
            return CorruptAt(value_offset,
                             context + ": malformed unknown-section name");
          }
          snapshot.unknown_sections.push_back(
              ExtraField{std::string(name), std::string(pr.Rest())});
          break;
        }
        default:
          // An entry kind a newer version added: carried, not dropped.
          snapshot.unknown_sections.push_back(
              internal::MakeCarrier(internal::kUnknownKindPrefix, kind, value));
          break;
      }
      if (!s.ok()) return s.WithContext(context);
    }
    return snapshot;
  }
};

}  // namespace

std::unique_ptr<Serializer> NewBinarySerializer() {
  return std::make_unique<BinarySerializer>();
}

bool IsBinarySnapshot(std::string_view bytes) {
  return bytes.substr(0, kSnapshotMagic.size()) == kSnapshotMagic;
}

}  // namespace tokencache
