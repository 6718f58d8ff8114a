// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The binary format (binary.h) as the RecordCodec of a record-store cache:
// each value is one binary record. This is what the built-in record stores
// (lmdb:, the memory record store) use; pass NewBinaryRecordCodec() to
// Cache::Open(record_store, codec) for a store of your own.
//
// Header-only over EncodeRecord / DecodeRecord, so it costs a link to
// tokencache::serializer_binary and nothing more.
//
// Thread safety: immutable; safe to share between threads.

#ifndef TOKENCACHE_SERIALIZERS_BINARY_RECORD_CODEC_H_
#define TOKENCACHE_SERIALIZERS_BINARY_RECORD_CODEC_H_

#include <memory>
#include <string_view>
#include <type_traits>

#include "tokencache/record_store.h"
#include "tokencache/serializers/binary.h"

namespace tokencache {

static_assert(std::is_same_v<AnyEntity, RecordEntity>,
              "the binary format and record stores share one entity type");

class BinaryRecordCodec final : public RecordCodec {
 public:
  std::string_view Name() const override { return "binary"; }

 protected:
  Result<SecretBytes> DoEncode(const RecordEntity& entity) const override {
    return EncodeRecord(entity);
  }
  Result<RecordEntity> DoDecode(std::string_view value) const override {
    return DecodeRecord(value);
  }
};

// Returns the binary record codec. Never null.
inline std::unique_ptr<const RecordCodec> NewBinaryRecordCodec() {
  return std::make_unique<BinaryRecordCodec>();
}

}  // namespace tokencache

#endif  // TOKENCACHE_SERIALIZERS_BINARY_RECORD_CODEC_H_
