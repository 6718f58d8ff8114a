// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Hostile input to the binary decoder (reliability Z3): over-long varints,
// lengths that overflow, truncation inside fields, malformed values. Each
// must be a clean kCorrupted, with no crash, no allocation larger than the
// input could justify, and no secret in the message.
//
// allocation_tracker.cc measures the largest single allocation made while
// decoding.

#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "tests/serializers_binary/allocation_tracker.h"
#include "tests/serializers_binary/binary_bytes.h"
#include "tests/serializers_binary/entity_samples.h"
#include "tests/support/status_matchers.h"
#include "tokencache/serializers/binary.h"

namespace tokencache {
namespace {

using test::Entry;
using test::Envelope;
using test::Record;
using test::Tlv;
using test::TwoPart;
using test::Varint;

// Decodes `bytes` as a record and as a snapshot while measuring the largest
// allocation; returns it.
struct Outcome {
  Status record;
  Status snapshot;
  std::size_t largest_allocation = 0;
};

Outcome Decode(std::string_view bytes) {
  std::unique_ptr<Serializer> serializer = NewBinarySerializer();
  Outcome out;
  test::StartTrackingAllocations();
  out.record = DecodeRecord(bytes).status();
  out.snapshot = serializer->Deserialize(bytes).status();
  out.largest_allocation = test::StopTrackingAllocations();
  return out;
}

// The bound on the largest allocation per input byte. The format is flat
// and has no counts, so memory grows only with the input: every string is
// at most as long as the input, and every element of a vector (an entity of
// a snapshot, a tenant profile, an extra field) costs at least two input
// bytes (its tag and its length). A vector's buffer therefore holds at most
// 2 * (input / 2) elements after doubling, each at most sizeof(Account)
// bytes, the largest schema struct.
constexpr std::size_t kAllocationPerInputByte = sizeof(Account) + 64;

// 11 continuation bytes: longer than any 64-bit varint.
const std::string kTooLong(11, '\x80');
// Ten bytes whose last carries bits beyond 64.
const std::string kOverflow = std::string(9, '\xFF') + '\x02';
// 2^64 - 1 as a varint: a length no input can hold.
const std::string kHugeLength = std::string(9, '\xFF') + '\x01';

TEST_CASE("Hostile records are rejected as corrupt without large allocations",
          "[binary][hostile]") {
  const std::string header("\xC1T\x01\x02", 4);  // access token, no length
  struct Case {
    const char* what;
    std::string bytes;
  };
  const std::vector<Case> cases = {
      {"kind varint too long", std::string("\xC1T\x01", 3) + kTooLong},
      {"record length too long", header + kTooLong},
      {"record length 2^64-1", header + kHugeLength + "x"},
      {"record length overflows 64 bits", header + kOverflow},
      {"tag varint too long", Record(2, kTooLong + '\x01' + 'x')},
      {"tag beyond 64 bits", Record(2, kOverflow + '\x00')},
      {"tag 0", Record(2, Tlv(0, "x"))},
      {"tag beyond 32 bits", Record(2, Tlv(std::uint64_t{1} << 32, "x"))},
      {"field length 2^64-1", Record(2, "\x04" + kHugeLength + "abc")},
      {"field length too long", Record(2, "\x04" + kTooLong)},
      {"field length past the end", Record(2, "\4\5abc")},
      {"field cut inside its tag", Record(2, "\x84")},
      {"field with no length", Record(2, "\x04")},
      {"timestamp with a trailing byte", Record(2, Tlv(8, "\x01\x01"))},
      {"timestamp varint cut short", Record(2, Tlv(8, "\x81"))},
      {"timestamp varint too long", Record(2, Tlv(8, kTooLong))},
      {"empty timestamp", Record(2, Tlv(8, ""))},
      {"boolean 2", Record(1, Tlv(16, Tlv(8, "\x02")))},
      {"boolean of two bytes", Record(1, Tlv(16, Tlv(8, "\x01\x01")))},
      {"singular field twice", Record(2, Tlv(4, "a") + Tlv(4, "b"))},
      {"secret twice", Record(2, Tlv(7, "a") + Tlv(7, "a"))},
      {"pair key length past the end", Record(2, Tlv(15, "\11ab"))},
      {"pair key length 2^64-1", Record(2, Tlv(15, kHugeLength + "ab"))},
      {"pair keys out of order",
       Record(2, TwoPart(15, "b", "1") + TwoPart(15, "a", "2"))},
      {"pair key repeated",
       Record(2, TwoPart(15, "a", "1") + TwoPart(15, "a", "2"))},
      {"extra name length past the end", Record(2, Tlv(1, "\5ab"))},
      {"extra name length too long", Record(2, Tlv(1, kTooLong))},
      {"empty extra", Record(2, Tlv(1, ""))},
      {"profile field past its profile", Record(1, Tlv(16, "\2\11ab"))},
      {"profile field twice", Record(1, Tlv(16, Tlv(2, "a") + Tlv(2, "a")))},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    Outcome o = Decode(c.bytes);
    CHECK(o.record.code() == Code::kCorrupted);
    CHECK(o.record.message().find("at byte") != std::string::npos);
    CHECK(o.snapshot.code() == Code::kCorrupted);  // not a snapshot either
    CHECK(o.largest_allocation < 1024);
  }
}

TEST_CASE("Hostile snapshots are rejected as corrupt without large allocations",
          "[binary][hostile]") {
  // An envelope announcing 2^64-1 body bytes, with its checksum right.
  std::string huge = Envelope("abc");
  for (int i = 0; i < 8; ++i) huge[4 + static_cast<std::size_t>(i)] = '\xFF';
  struct Case {
    const char* what;
    std::string bytes;
  };
  const std::vector<Case> cases = {
      {"envelope announcing 2^64-1 bytes", huge},
      {"envelope cut short", Envelope("").substr(0, 20)},
      {"entry kind too long", Envelope(kTooLong)},
      {"entry kind beyond 64 bits", Envelope(kOverflow + '\x00')},
      {"entry kind 0", Envelope(Entry(0, ""))},
      {"entry kind beyond 32 bits",
       Envelope(Entry(std::uint64_t{1} << 33, ""))},
      {"entry length 2^64-1", Envelope("\x02" + kHugeLength + "ab")},
      {"entry length past the end", Envelope("\2\177ab")},
      {"entry with no length", Envelope("\x02")},
      {"entity inside is malformed", Envelope(Entry(2, Tlv(8, "")))},
      {"unknown section name past the end", Envelope(Entry(6, "\11ab"))},
      {"unknown section name length too long", Envelope(Entry(6, kTooLong))},
      {"many empty entities then one bad", Envelope([] {
         std::string body;
         for (int i = 0; i < 1000; ++i) body += Entry(5, "");
         return body + "\x05";
       }())},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    Outcome o = Decode(c.bytes);
    CHECK(o.snapshot.code() == Code::kCorrupted);
    CHECK(o.snapshot.message().find("at byte") != std::string::npos);
    CHECK(o.largest_allocation <= kAllocationPerInputByte * c.bytes.size());
  }
}

TEST_CASE("Random corruption of records never crashes or over-allocates",
          "[binary][hostile]") {
  std::vector<std::string> records;
  for (const AnyEntity& e :
       {AnyEntity(test::FullAccount()), AnyEntity(test::FullAccessToken()),
        AnyEntity(test::FullRefreshToken())}) {
    Result<SecretBytes> r = EncodeRecord(e);
    REQUIRE_OK(r);
    records.emplace_back(r->view());
  }
  std::mt19937 rng(7);
  std::size_t decoded_ok = 0;
  std::size_t failed = 0;
  std::size_t worst_ratio_input = 0;
  std::size_t worst_allocation = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string bad = records[static_cast<std::size_t>(trial) % 3];
    std::uniform_int_distribution<std::size_t> pos(0, bad.size() - 1);
    for (int i = trial % 4 + 1; i > 0; --i) {
      bad[pos(rng)] = static_cast<char>(rng() & 0xff);
    }
    Outcome o = Decode(bad);
    if (o.record.ok()) {
      ++decoded_ok;
    } else {
      ++failed;
      CHECK((o.record.code() == Code::kCorrupted ||
             o.record.code() == Code::kNotSupported));
    }
    if (o.largest_allocation > worst_allocation) {
      worst_allocation = o.largest_allocation;
      worst_ratio_input = bad.size();
    }
  }
  INFO("decoded " << decoded_ok << ", rejected " << failed);
  CHECK(failed > 0);
  CHECK(worst_allocation <= kAllocationPerInputByte * worst_ratio_input);
}

// True when `text` contains any 12-byte window of `secret`.
bool Leaks(std::string_view text, std::string_view secret) {
  for (std::size_t i = 0; i + 12 <= secret.size(); ++i) {
    if (text.find(secret.substr(i, 12)) != std::string_view::npos) return true;
  }
  return false;
}

TEST_CASE("Error messages never contain secret text", "[binary][hostile]") {
  std::vector<std::string> inputs;
  for (const AnyEntity& e :
       {AnyEntity(test::FullAccessToken()), AnyEntity(test::FullRefreshToken()),
        AnyEntity(test::FullIdToken())}) {
    Result<SecretBytes> r = EncodeRecord(e);
    REQUIRE_OK(r);
    inputs.emplace_back(r->view());
  }
  Result<SecretBytes> snap =
      NewBinarySerializer()->Serialize(test::SampleSnapshot(1));
  REQUIRE_OK(snap);
  inputs.emplace_back(snap->view());
  // A canary as the value of a tag that is malformed for its type, and as a
  // pair key that breaks ordering.
  inputs.push_back(Record(2, Tlv(8, test::kCanaryAccessToken)));
  inputs.push_back(Record(
      2, TwoPart(15, "z", "") + TwoPart(15, test::kCanaryRefreshToken, "")));

  std::size_t messages = 0;
  std::size_t leaks = 0;
  auto check = [&](const Status& s) {
    if (s.ok()) return;
    ++messages;
    for (const char* canary :
         {test::kCanaryAccessToken, test::kCanaryRefreshToken,
          test::kCanaryIdToken}) {
      if (Leaks(s.ToString(), canary)) ++leaks;
    }
  };
  std::unique_ptr<Serializer> serializer = NewBinarySerializer();
  for (const std::string& input : inputs) {
    for (std::size_t n = 0; n < input.size(); ++n) {
      std::string_view cut = std::string_view(input).substr(0, n);
      check(DecodeRecord(cut).status());
      check(serializer->Deserialize(cut).status());
    }
    std::string flipped = input;
    for (std::size_t i = 0; i < input.size(); ++i) {
      flipped[i] = static_cast<char>(input[i] ^ 0x80);
      check(DecodeRecord(flipped).status());
      check(DecodeAccessToken(flipped).status());
      check(serializer->Deserialize(flipped).status());
      flipped[i] = input[i];
    }
  }
  INFO(messages << " error messages scanned");
  CHECK(messages > 1000);
  CHECK(leaks == 0);
}

}  // namespace
}  // namespace tokencache
