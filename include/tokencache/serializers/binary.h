// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The tokencache binary format: a compact, versioned encoding of the cache
// schema (schema.h). docs/binary-format.md is the byte-level specification;
// the short version:
//
//  - A *record* is one entity: a header (magic 0xC1 'T', format version,
//    entity kind, length of what follows) and tag-length-value fields.
//    Record stores (LMDB, Redis) keep one record per entity. A record cut
//    short is detected by the length; records carry no checksum otherwise:
//    the store or the encryption decorator is responsible for integrity.
//  - A *snapshot* is a whole cache (CacheSnapshot): a 28-byte envelope
//    (magic 0xC1 'S', version, flags, body length, a 16-byte BLAKE2b
//    checksum) followed by the entities. Truncation and bit flips are
//    reported as kCorrupted. NewBinarySerializer() reads and writes it.
//
// Compatibility: fields are identified by numeric tags, never by name. A
// reader skips nothing: a field whose tag it does not know (written by a
// newer tokencache) is kept in the entity's `extra` under the reserved name
// "tokencache:bin:<tag>" with its bytes as a base64 JSON string, and is
// written back under its original tag, so a record survives a round trip
// through an older version (and through MSAL JSON, which keeps extras). An
// unknown entity kind inside a snapshot is kept in
// CacheSnapshot::unknown_sections the same way ("tokencache:bin-kind:<k>").
// Fields are added without a version change; the version changes only when
// old readers could no longer read new data correctly.
//
// Errors (all functions below):
//  - kCorrupted: the bytes are not a well-formed record or snapshot of this
//    format (bad magic, truncated, a length that overruns its container, an
//    over-long varint, a duplicated field, a checksum mismatch...). The
//    message names the byte offset, entity and field tag; it never quotes
//    the input.
//  - kNotSupported: a well-formed header of a newer format version, or a
//    record of an entity kind this version does not know.
//  - kInvalidArgument: encoding StringPairs with a duplicated key, or a
//    typed decoder (DecodeAccessToken...) given a record of another kind.
//  - kInternal: libsodium could not initialise, or an allocation failed.
// Nothing throws.
//
// Thread safety: all functions are pure; the serializer is immutable. Any of
// them may be called from several threads at once.

#ifndef TOKENCACHE_SERIALIZERS_BINARY_H_
#define TOKENCACHE_SERIALIZERS_BINARY_H_

#include <cstdint>
#include <memory>
#include <string_view>
#include <variant>

#include "tokencache/export.h"
#include "tokencache/schema.h"
#include "tokencache/secret.h"
#include "tokencache/serializer.h"
#include "tokencache/status.h"

namespace tokencache {

// The major version this build writes, and the newest it reads.
inline constexpr std::uint8_t kBinaryFormatVersion = 1;

// The kind byte of a record header. Values are part of the format: append
// only, never renumber.
enum class EntityKind : std::uint8_t {
  kAccount = 1,
  kAccessToken = 2,
  kRefreshToken = 3,
  kIdToken = 4,
  kAppMetadata = 5,
};

// Any one cache entity, as a record store holds it.
using AnyEntity =
    std::variant<Account, AccessToken, RefreshToken, IdToken, AppMetadata>;

// Returns the binary snapshot serializer; Name() is "binary". Never null.
//
// Serialize writes the envelope and every entity of the snapshot. Deserialize
// accepts what Serialize wrote by this or an older version; empty input (or
// only ASCII white space) is an empty cache, as for every Serializer. Order
// within each vector of the snapshot is kept.
TOKENCACHE_EXPORT std::unique_ptr<Serializer> NewBinarySerializer();

// True when `bytes` starts with the snapshot magic, so a file store can tell
// a binary snapshot from MSAL JSON without parsing either. Says nothing about
// whether the rest is valid.
TOKENCACHE_EXPORT bool IsBinarySnapshot(std::string_view bytes);

// Encodes one entity as a record. The result holds token text, hence
// SecretBytes. Empty strings and zero timestamps are not written (they mean
// "absent"). StringPairs are written sorted by key whatever their order in
// the entity; a duplicated key is kInvalidArgument.
TOKENCACHE_EXPORT Result<SecretBytes> EncodeRecord(const Account& account);
TOKENCACHE_EXPORT Result<SecretBytes> EncodeRecord(const AccessToken& token);
TOKENCACHE_EXPORT Result<SecretBytes> EncodeRecord(const RefreshToken& token);
TOKENCACHE_EXPORT Result<SecretBytes> EncodeRecord(const IdToken& token);
TOKENCACHE_EXPORT Result<SecretBytes> EncodeRecord(const AppMetadata& app);
TOKENCACHE_EXPORT Result<SecretBytes> EncodeRecord(const AnyEntity& entity);

// Reads only the record header: the kind of entity `record` holds.
// kCorrupted when the magic is wrong, the header is cut short or its length
// does not match the record's; kNotSupported for a newer version or an
// unknown kind. The fields are not examined.
TOKENCACHE_EXPORT Result<EntityKind> PeekRecordKind(std::string_view record);

// Decodes a record of any kind. Secrets are copied straight into the
// entity's SecretBytes; `record` is not retained.
TOKENCACHE_EXPORT Result<AnyEntity> DecodeRecord(std::string_view record);

// Decode a record of one known kind. A record of another kind is
// kInvalidArgument (the caller's key pointed at the wrong thing).
TOKENCACHE_EXPORT Result<Account> DecodeAccount(std::string_view record);
TOKENCACHE_EXPORT Result<AccessToken> DecodeAccessToken(
    std::string_view record);
TOKENCACHE_EXPORT Result<RefreshToken> DecodeRefreshToken(
    std::string_view record);
TOKENCACHE_EXPORT Result<IdToken> DecodeIdToken(std::string_view record);
TOKENCACHE_EXPORT Result<AppMetadata> DecodeAppMetadata(
    std::string_view record);

}  // namespace tokencache

#endif  // TOKENCACHE_SERIALIZERS_BINARY_H_
