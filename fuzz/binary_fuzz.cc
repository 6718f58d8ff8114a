// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// libFuzzer target Z1(2): the binary format's record and snapshot decoders,
// with a round-trip oracle. Whatever decodes must encode, decode again to an
// equal value (compared field by field), and encode again to the same bytes.
// Whatever does not decode must fail with kCorrupted (naming a byte offset)
// or kNotSupported, nothing else.
//
// Every input is tried as a record and as a snapshot. A random mutation
// almost never keeps a snapshot's checksum right, so the input is also
// re-sealed: its body (or, when it is not a snapshot, the whole input) gets
// a fresh envelope, so that mutations reach the body parser.
//
// Built with fuzz/binary.cmake; replayed over fuzz/corpus/binary in every
// build by the binary_fuzz_replay test.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "tests/serializers_binary/binary_bytes.h"
#include "tests/serializers_binary/entity_diff.h"
#include "tokencache/serializers/binary.h"

namespace {

using tokencache::AnyEntity;
using tokencache::CacheSnapshot;
using tokencache::Code;
using tokencache::Result;
using tokencache::SecretBytes;
using tokencache::Status;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  // The detail is a field path or a status code name, never input bytes.
  std::fprintf(stderr, "binary_fuzz: %s %s\n", what, detail.c_str());
  std::abort();
}

void CheckRejection(const Status& status) {
  if (status.code() == Code::kNotSupported) return;
  if (status.code() != Code::kCorrupted) {
    Fail("unexpected error code", tokencache::CodeName(status.code()));
  }
  if (status.message().find("at byte") == std::string::npos) {
    Fail("corruption error without a position", "");
  }
}

void RoundTripRecord(std::string_view input) {
  Result<AnyEntity> first = tokencache::DecodeRecord(input);
  if (!first.ok()) {
    CheckRejection(first.status());
    return;
  }
  Result<SecretBytes> encoded = tokencache::EncodeRecord(*first);
  if (!encoded.ok())
    Fail("record re-encode failed", encoded.status().ToString());
  Result<AnyEntity> second = tokencache::DecodeRecord(encoded->view());
  if (!second.ok()) Fail("record re-decode failed", second.status().ToString());
  std::string diff = tokencache::test::Diff(*first, *second);
  if (!diff.empty()) Fail("record round trip changed", diff);
  Result<SecretBytes> again = tokencache::EncodeRecord(*second);
  if (!again.ok() || !again->Equals(*encoded)) {
    Fail("record encoding is not stable", "");
  }
}

void RoundTripSnapshot(const tokencache::Serializer& serializer,
                       std::string_view input) {
  Result<CacheSnapshot> first = serializer.Deserialize(input);
  if (!first.ok()) {
    CheckRejection(first.status());
    return;
  }
  Result<SecretBytes> encoded = serializer.Serialize(*first);
  if (!encoded.ok()) {
    Fail("snapshot re-encode failed", encoded.status().ToString());
  }
  Result<CacheSnapshot> second = serializer.Deserialize(encoded->view());
  if (!second.ok()) {
    Fail("snapshot re-decode failed", second.status().ToString());
  }
  std::string diff = tokencache::test::Diff(*first, *second);
  if (!diff.empty()) Fail("snapshot round trip changed", diff);
  Result<SecretBytes> again = serializer.Serialize(*second);
  if (!again.ok() || !again->Equals(*encoded)) {
    Fail("snapshot encoding is not stable", "");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  static const std::unique_ptr<tokencache::Serializer> serializer =
      tokencache::NewBinarySerializer();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  RoundTripRecord(input);
  RoundTripSnapshot(*serializer, input);
  const std::size_t envelope = tokencache::test::kEnvelopeSize;
  if (tokencache::IsBinarySnapshot(input) && input.size() >= envelope) {
    RoundTripSnapshot(*serializer, tokencache::test::Envelope(
                                       input.substr(envelope),
                                       static_cast<std::uint8_t>(input[2]),
                                       static_cast<std::uint8_t>(input[3])));
  } else {
    RoundTripSnapshot(*serializer, tokencache::test::Envelope(input));
  }
  return 0;
}
