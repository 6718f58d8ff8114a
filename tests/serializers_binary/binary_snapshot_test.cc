// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Snapshots of the binary format: round trips, the envelope, forward
// compatibility, and detection of every bit flip and truncation (F4).

#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include "tests/serializers_binary/binary_bytes.h"
#include "tests/serializers_binary/entity_diff.h"
#include "tests/serializers_binary/entity_samples.h"
#include "tests/support/status_matchers.h"
#include "tokencache/serializers/binary.h"

namespace tokencache {
namespace {

using test::Entry;
using test::Envelope;
using test::Tlv;
using test::TwoPart;

std::string Encoded(const CacheSnapshot& snapshot) {
  Result<SecretBytes> bytes = NewBinarySerializer()->Serialize(snapshot);
  REQUIRE_OK(bytes);
  return std::string(bytes->view());
}

TEST_CASE("A snapshot with every kind of entity survives a round trip",
          "[binary][snapshot]") {
  std::unique_ptr<Serializer> serializer = NewBinarySerializer();
  CHECK(serializer->Name() == "binary");
  CacheSnapshot snapshot = test::SampleSnapshot(3);
  snapshot.access_tokens.push_back(AccessToken());  // an empty one, too
  Result<SecretBytes> bytes = serializer->Serialize(snapshot);
  REQUIRE_OK(bytes);
  CHECK(IsBinarySnapshot(bytes->view()));
  Result<CacheSnapshot> back = serializer->Deserialize(bytes->view());
  REQUIRE_OK(back);
  CHECK(test::Diff(*back, snapshot) == "");
}

TEST_CASE("Empty input is an empty cache; an empty cache is a bare envelope",
          "[binary][snapshot]") {
  std::unique_ptr<Serializer> serializer = NewBinarySerializer();
  for (std::string_view blank :
       {std::string_view(""), std::string_view(" \n\t\r")}) {
    Result<CacheSnapshot> empty = serializer->Deserialize(blank);
    REQUIRE_OK(empty);
    CHECK(test::Diff(*empty, CacheSnapshot()) == "");
  }
  CHECK(Encoded(CacheSnapshot()) == Envelope(""));
  CHECK_FALSE(IsBinarySnapshot("{\"AccessToken\":{}}"));
  CHECK_FALSE(IsBinarySnapshot("\xC1"));
}

TEST_CASE("A snapshot has exactly the bytes the specification gives",
          "[binary][snapshot][spec]") {
  CacheSnapshot s;
  AppMetadata m;
  m.client_id = "c";
  s.app_metadata.push_back(m);
  IdToken id;
  id.secret = SecretBytes("jwt");
  s.id_tokens.push_back(id);
  s.unknown_sections = {{"Other", "{}"}};
  // Entities in section order (accounts, access, refresh, id, app
  // metadata), then unknown sections as kind 6.
  const std::string body =
      Entry(4, Tlv(6, "jwt")) + Entry(5, Tlv(2, "c")) + Entry(6, "\5Other{}");
  CHECK(Encoded(s) == Envelope(body));
}

TEST_CASE(
    "Unknown entry kinds and unknown fields survive a snapshot round trip",
    "[binary][snapshot][compat]") {
  // A body a newer version could write: an access token with an unknown
  // field, an entry of unknown kind 9, and a JSON-born unknown section.
  const std::string body = Entry(2, Tlv(4, "cid") + Tlv(50, "new")) +
                           Entry(9, "opaque") + Entry(6, "\3Foo[1]");
  const std::string bytes = Envelope(body);
  Result<CacheSnapshot> s = NewBinarySerializer()->Deserialize(bytes);
  REQUIRE_OK(s);
  REQUIRE(s->access_tokens.size() == 1);
  CHECK(s->access_tokens[0].client_id == "cid");
  ExtraFields at_extra = {{"tokencache:bin:50", "\"bmV3\""}};
  CHECK(s->access_tokens[0].extra == at_extra);
  ExtraFields sections = {{"tokencache:bin-kind:9", "\"b3BhcXVl\""},
                          {"Foo", "[1]"}};
  CHECK(s->unknown_sections == sections);
  // Written back, the snapshot is the same bytes.
  CHECK(Encoded(*s) == bytes);
}

TEST_CASE("Sections that only resemble a carried entry stay JSON sections",
          "[binary][snapshot][compat]") {
  CacheSnapshot s;
  s.unknown_sections = {
      {"tokencache:bin-kind:2", "\"AA==\""},    // a known kind: never raw
      {"tokencache:bin-kind:6", "\"AA==\""},    // kind 6 is the JSON section
      {"tokencache:bin-kind:07", "\"AA==\""},   // not canonical decimal
      {"tokencache:bin-kind:7", "[\"AA==\"]"},  // not a JSON string
  };
  std::string body;
  for (const ExtraField& f : s.unknown_sections) {
    body += Entry(6, test::Varint(f.name.size()) + f.name + f.json_value);
  }
  CHECK(Encoded(s) == Envelope(body));
  Result<CacheSnapshot> back =
      NewBinarySerializer()->Deserialize(Envelope(body));
  REQUIRE_OK(back);
  CHECK(test::Diff(*back, s) == "");
}

TEST_CASE("Snapshot envelopes of newer versions or flags are not supported",
          "[binary][snapshot]") {
  std::unique_ptr<Serializer> serializer = NewBinarySerializer();
  const std::string body = Entry(5, Tlv(2, "c"));
  CHECK(serializer->Deserialize(Envelope(body, 2)).status().code() ==
        Code::kNotSupported);
  CHECK(serializer->Deserialize(Envelope(body, 1, 1)).status().code() ==
        Code::kNotSupported);
  CHECK(serializer->Deserialize(Envelope(body, 0)).status().code() ==
        Code::kCorrupted);
  REQUIRE_OK(serializer->Deserialize(Envelope(body)));
}

TEST_CASE("Every bit flip of a 4 KiB snapshot is detected as corruption",
          "[binary][snapshot][corruption]") {
  const std::string good = Encoded(test::SampleSnapshot(2));
  INFO("snapshot of " << good.size() << " bytes");
  REQUIRE(good.size() >= 3500);
  REQUIRE(good.size() <= 5000);
  std::unique_ptr<Serializer> serializer = NewBinarySerializer();
  std::size_t variants = 0;
  std::size_t undetected = 0;
  std::size_t first_undetected = 0;
  std::string flipped = good;
  for (std::size_t byte = 0; byte < good.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      flipped[byte] = static_cast<char>(good[byte] ^ (1 << bit));
      ++variants;
      if (serializer->Deserialize(flipped).status().code() !=
          Code::kCorrupted) {
        if (undetected++ == 0) first_undetected = byte;
      }
    }
    flipped[byte] = good[byte];
  }
  INFO("first undetected flip in byte " << first_undetected);
  CHECK(variants == good.size() * 8);
  CHECK(undetected == 0);
}

TEST_CASE("Every truncation and extension of a snapshot is detected",
          "[binary][snapshot][corruption]") {
  const std::string good = Encoded(test::SampleSnapshot(2));
  std::unique_ptr<Serializer> serializer = NewBinarySerializer();
  std::size_t undetected = 0;
  // Length 0 is excluded: empty input is an empty cache by the Serializer
  // contract; the store decides whether an empty file is legitimate.
  for (std::size_t n = 1; n < good.size(); ++n) {
    if (serializer->Deserialize(std::string_view(good).substr(0, n))
            .status()
            .code() != Code::kCorrupted) {
      ++undetected;
    }
  }
  for (std::size_t extra = 1; extra <= 64; ++extra) {
    if (serializer->Deserialize(good + std::string(extra, '\0'))
            .status()
            .code() != Code::kCorrupted) {
      ++undetected;
    }
  }
  CHECK(undetected == 0);
}

TEST_CASE("Random multi-byte corruption of a snapshot is detected",
          "[binary][snapshot][corruption]") {
  const std::string good = Encoded(test::SampleSnapshot(2));
  std::unique_ptr<Serializer> serializer = NewBinarySerializer();
  std::mt19937 rng(20260101);
  std::uniform_int_distribution<std::size_t> pos(0, good.size() - 1);
  std::uniform_int_distribution<int> count(2, 16);
  std::uniform_int_distribution<int> byte(1, 255);
  std::size_t undetected = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    std::string bad = good;
    for (int i = count(rng); i > 0; --i) {
      bad[pos(rng)] ^= static_cast<char>(byte(rng));
    }
    if (bad == good) continue;
    if (serializer->Deserialize(bad).status().code() != Code::kCorrupted) {
      ++undetected;
    }
  }
  CHECK(undetected == 0);
}

}  // namespace
}  // namespace tokencache
