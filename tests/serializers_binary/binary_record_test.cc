// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Records of the binary format: round trips, the exact bytes of the
// specification, forward compatibility and the header checks.

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <variant>

#include "tests/serializers_binary/binary_bytes.h"
#include "tests/serializers_binary/entity_diff.h"
#include "tests/serializers_binary/entity_samples.h"
#include "tests/support/status_matchers.h"
#include "tokencache/serializers/binary.h"

namespace tokencache {
namespace {

using test::Record;
using test::Tlv;
using test::TwoPart;
using test::Varint;

std::string Bytes(const SecretBytes& s) { return std::string(s.view()); }

template <typename T>
void CheckRoundTrip(const T& entity, EntityKind kind) {
  Result<SecretBytes> encoded = EncodeRecord(entity);
  REQUIRE_OK(encoded);
  Result<EntityKind> peeked = PeekRecordKind(encoded->view());
  REQUIRE_OK(peeked);
  CHECK(*peeked == kind);

  Result<AnyEntity> any = DecodeRecord(encoded->view());
  REQUIRE_OK(any);
  REQUIRE(std::holds_alternative<T>(*any));
  CHECK(test::Diff(std::get<T>(*any), entity) == "");

  // The variant overload writes the same bytes as the typed one.
  Result<SecretBytes> again = EncodeRecord(AnyEntity(entity));
  REQUIRE_OK(again);
  CHECK(again->Equals(*encoded));
}

TEST_CASE("Every entity kind survives a record round trip with every field set",
          "[binary][record]") {
  CheckRoundTrip(test::FullAccount(), EntityKind::kAccount);
  CheckRoundTrip(test::FullAccessToken(), EntityKind::kAccessToken);
  CheckRoundTrip(test::FullRefreshToken(), EntityKind::kRefreshToken);
  CheckRoundTrip(test::FullIdToken(), EntityKind::kIdToken);
  CheckRoundTrip(test::FullAppMetadata(), EntityKind::kAppMetadata);

  Result<SecretBytes> at = EncodeRecord(test::FullAccessToken());
  REQUIRE_OK(at);
  Result<AccessToken> typed = DecodeAccessToken(at->view());
  REQUIRE_OK(typed);
  CHECK(test::Diff(*typed, test::FullAccessToken()) == "");
  CHECK(typed->secret.Equals(std::string_view(test::kCanaryAccessToken)));
}

TEST_CASE("Typed decoders read their own kind", "[binary][record]") {
  Result<SecretBytes> a = EncodeRecord(test::FullAccount());
  Result<SecretBytes> rt = EncodeRecord(test::FullRefreshToken());
  Result<SecretBytes> id = EncodeRecord(test::FullIdToken());
  Result<SecretBytes> m = EncodeRecord(test::FullAppMetadata());
  REQUIRE_OK(a);
  REQUIRE_OK(rt);
  REQUIRE_OK(id);
  REQUIRE_OK(m);
  Result<Account> da = DecodeAccount(a->view());
  Result<RefreshToken> drt = DecodeRefreshToken(rt->view());
  Result<IdToken> did = DecodeIdToken(id->view());
  Result<AppMetadata> dm = DecodeAppMetadata(m->view());
  REQUIRE_OK(da);
  REQUIRE_OK(drt);
  REQUIRE_OK(did);
  REQUIRE_OK(dm);
  CHECK(test::Diff(*da, test::FullAccount()) == "");
  CHECK(test::Diff(*drt, test::FullRefreshToken()) == "");
  CHECK(test::Diff(*did, test::FullIdToken()) == "");
  CHECK(test::Diff(*dm, test::FullAppMetadata()) == "");
}

TEST_CASE("An entity with every field empty is a bare header and reads back",
          "[binary][record]") {
  Result<SecretBytes> at = EncodeRecord(AccessToken());
  REQUIRE_OK(at);
  CHECK(Bytes(*at) == Record(2, ""));
  Result<AccessToken> back = DecodeAccessToken(at->view());
  REQUIRE_OK(back);
  CHECK(test::Diff(*back, AccessToken()) == "");

  Account empty_account;
  empty_account.tenant_profiles.emplace_back();  // an empty profile is kept
  Result<SecretBytes> a = EncodeRecord(empty_account);
  REQUIRE_OK(a);
  CHECK(Bytes(*a) == Record(1, Tlv(16, "")));
  Result<Account> a_back = DecodeAccount(a->view());
  REQUIRE_OK(a_back);
  CHECK(test::Diff(*a_back, empty_account) == "");

  for (const AnyEntity& e : {AnyEntity(Account()), AnyEntity(RefreshToken()),
                             AnyEntity(IdToken()), AnyEntity(AppMetadata())}) {
    Result<SecretBytes> r = EncodeRecord(e);
    REQUIRE_OK(r);
    CHECK(r->size() == 5);
    Result<AnyEntity> d = DecodeRecord(r->view());
    REQUIRE_OK(d);
    CHECK(test::Diff(*d, e) == "");
  }
}

TEST_CASE("Records have exactly the bytes the specification gives",
          "[binary][record][spec]") {
  AppMetadata m;
  m.client_id = "c";
  m.environment = "e";
  m.family_id = "1";
  m.extra = {{"k", "[]"}};
  Result<SecretBytes> encoded = EncodeRecord(m);
  REQUIRE_OK(encoded);
  // clang-format off
  const std::string expected(
      "\xC1" "T" "\x01" "\x05" "\x0F"  // magic, version 1, kind 5, 15 bytes
      "\x02\x01" "c"                  // tag 2 client_id
      "\x03\x01" "e"                  // tag 3 environment
      "\x04\x01" "1"                  // tag 4 family_id
      "\x01\x04" "\x01" "k" "[]",     // tag 1 extra: name length, name, JSON
      20);
  // clang-format on
  CHECK(Bytes(*encoded) == expected);

  AccessToken t;
  t.expires_on = -2;  // zig-zag: 3
  t.cached_at = 300;  // zig-zag 600: 0xD8 0x04
  t.secret = SecretBytes("s");
  t.additional_key_components = {{"a", "b"}};
  Result<SecretBytes> at = EncodeRecord(t);
  REQUIRE_OK(at);
  CHECK(Bytes(*at) == Record(2, Tlv(7, "s") + Tlv(8, "\xD8\x04") +
                                    Tlv(9, "\x03") + TwoPart(15, "a", "b")));
}

TEST_CASE("Timestamps keep their sign and the whole 64-bit range",
          "[binary][record]") {
  for (UnixSeconds v :
       {std::numeric_limits<UnixSeconds>::min(), UnixSeconds{-1},
        UnixSeconds{1}, UnixSeconds{63}, UnixSeconds{64},
        UnixSeconds{1795672391}, std::numeric_limits<UnixSeconds>::max()}) {
    RefreshToken t;
    t.expires_on = v;
    t.last_modification_time = -(v / 2);
    Result<SecretBytes> r = EncodeRecord(t);
    REQUIRE_OK(r);
    Result<RefreshToken> back = DecodeRefreshToken(r->view());
    REQUIRE_OK(back);
    CHECK(back->expires_on == v);
    CHECK(back->last_modification_time == -(v / 2));
  }
}

TEST_CASE("String pairs are written sorted and duplicated keys are refused",
          "[binary][record]") {
  AccessToken t;
  t.additional_key_components = {{"zeta", "1"}, {"alpha", "2"}, {"mid", ""}};
  Result<SecretBytes> r = EncodeRecord(t);
  REQUIRE_OK(r);
  Result<AccessToken> back = DecodeAccessToken(r->view());
  REQUIRE_OK(back);
  StringPairs sorted = {{"alpha", "2"}, {"mid", ""}, {"zeta", "1"}};
  CHECK(back->additional_key_components == sorted);

  t.additional_key_components = {{"k", "1"}, {"a", "x"}, {"k", "2"}};
  Result<SecretBytes> dup = EncodeRecord(t);
  CHECK(dup.status().code() == Code::kInvalidArgument);

  Account a;
  a.wam_account_ids = {{"same", "1"}, {"same", "1"}};
  CHECK(EncodeRecord(a).status().code() == Code::kInvalidArgument);
}

TEST_CASE("A field with an unknown tag is kept and written back under its tag",
          "[binary][record][compat]") {
  // An access token from a newer version: a known field, an unknown field
  // with tag 40 and one with the two-byte tag 300, then an extra field.
  const std::string unknown_value("\x00\xff\x10", 3);
  const std::string fields = Tlv(4, "client") + Tlv(40, unknown_value) +
                             Tlv(300, "") + TwoPart(1, "x", "1");
  const std::string record = Record(2, fields);

  Result<AccessToken> t = DecodeAccessToken(record);
  REQUIRE_OK(t);
  CHECK(t->client_id == "client");
  ExtraFields expected = {{"tokencache:bin:40", "\"AP8Q\""},
                          {"tokencache:bin:300", "\"\""},
                          {"x", "1"}};
  CHECK(t->extra == expected);

  // Re-encoding puts every byte back where it was.
  Result<SecretBytes> again = EncodeRecord(*t);
  REQUIRE_OK(again);
  CHECK(Bytes(*again) == record);

  // The same inside a tenant profile, nested in an account.
  const std::string profile = Tlv(2, "tid") + Tlv(63, "future");
  const std::string account = Record(1, Tlv(16, profile));
  Result<Account> a = DecodeAccount(account);
  REQUIRE_OK(a);
  REQUIRE(a->tenant_profiles.size() == 1);
  CHECK(a->tenant_profiles[0].tenant_id == "tid");
  ExtraFields profile_extra = {{"tokencache:bin:63", "\"ZnV0dXJl\""}};
  CHECK(a->tenant_profiles[0].extra == profile_extra);
  Result<SecretBytes> a_again = EncodeRecord(*a);
  REQUIRE_OK(a_again);
  CHECK(Bytes(*a_again) == account);
}

TEST_CASE("Extras that only resemble an unknown-field carrier stay extras",
          "[binary][record][compat]") {
  AppMetadata m;
  m.extra = {
      {"tokencache:bin:2", "\"AA==\""},    // tag 2 is known: never a carrier
      {"tokencache:bin:040", "\"AA==\""},  // not canonical decimal
      {"tokencache:bin:41", "\"AA\""},     // not canonical base64
      {"tokencache:bin:42", "17"},         // not a JSON string
      {"tokencache:bin:0", "\"AA==\""},    // tag 0 is invalid
      {"tokencache:bin:4294967296", "\"AA==\""},  // beyond 32 bits
  };
  Result<SecretBytes> r = EncodeRecord(m);
  REQUIRE_OK(r);
  std::string expected_fields;
  for (const ExtraField& e : m.extra) {
    expected_fields += TwoPart(1, e.name, e.json_value);
  }
  CHECK(Bytes(*r) == Record(5, expected_fields));
  Result<AppMetadata> back = DecodeAppMetadata(r->view());
  REQUIRE_OK(back);
  CHECK(back->extra == m.extra);
}

TEST_CASE("Record headers: newer versions and kinds are not supported",
          "[binary][record]") {
  const std::string fields = Tlv(2, "c");
  CHECK(DecodeRecord(Record(5, fields, 2)).status().code() ==
        Code::kNotSupported);
  CHECK(PeekRecordKind(Record(5, fields, 200)).status().code() ==
        Code::kNotSupported);
  CHECK(DecodeRecord(Record(9, fields)).status().code() == Code::kNotSupported);
  CHECK(DecodeRecord(Record(5, fields, 0)).status().code() == Code::kCorrupted);
  CHECK(DecodeRecord(Record(0, fields)).status().code() == Code::kCorrupted);
  CHECK(DecodeRecord(std::string("{\"secret\":1}")).status().code() ==
        Code::kCorrupted);
  CHECK(DecodeRecord("").status().code() == Code::kCorrupted);
  Result<AnyEntity> ok = DecodeRecord(Record(5, fields));
  REQUIRE_OK(ok);
  CHECK(std::get<AppMetadata>(*ok).client_id == "c");
}

TEST_CASE("Decoding a record as the wrong kind is an invalid argument",
          "[binary][record]") {
  Result<SecretBytes> rt = EncodeRecord(test::FullRefreshToken());
  REQUIRE_OK(rt);
  Result<AccessToken> as_at = DecodeAccessToken(rt->view());
  CHECK(as_at.status().code() == Code::kInvalidArgument);
  CHECK(DecodeAccount(rt->view()).status().code() == Code::kInvalidArgument);
}

TEST_CASE("Every truncation and every extension of a record is detected",
          "[binary][record][corruption]") {
  for (const AnyEntity& e :
       {AnyEntity(test::FullAccount()), AnyEntity(test::FullAccessToken()),
        AnyEntity(test::FullRefreshToken()), AnyEntity(test::FullIdToken()),
        AnyEntity(test::FullAppMetadata())}) {
    Result<SecretBytes> r = EncodeRecord(e);
    REQUIRE_OK(r);
    const std::string full = Bytes(*r);
    int undetected = 0;
    for (std::size_t n = 0; n < full.size(); ++n) {
      Result<AnyEntity> d = DecodeRecord(std::string_view(full).substr(0, n));
      if (d.status().code() != Code::kCorrupted) ++undetected;
    }
    for (const std::string& tail : {std::string(1, '\0'), Tlv(2, "x")}) {
      if (DecodeRecord(full + tail).status().code() != Code::kCorrupted) {
        ++undetected;
      }
    }
    INFO("record of " << full.size() << " bytes, kind index " << e.index());
    CHECK(undetected == 0);
  }
}

}  // namespace
}  // namespace tokencache
