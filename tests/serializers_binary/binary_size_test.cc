// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Compactness of records, measured on a real access token written by
// msal-node (fixtures/msal-node/ropc-two-accounts.json).

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "tests/support/status_matchers.h"
#include "tokencache/serializers/binary.h"

namespace tokencache {
namespace {

std::string ReadFixture(const std::string& name) {
  std::ifstream in(std::string(TOKENCACHE_FIXTURES_DIR) + "/msal-node/" + name,
                   std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

std::string Compact(const rapidjson::Value& v) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  v.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

TEST_CASE("A real access token record is its field values plus a few bytes",
          "[binary][record][size]") {
  const std::string text = ReadFixture("ropc-two-accounts.json");
  REQUIRE_FALSE(text.empty());
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  REQUIRE_FALSE(doc.HasParseError());
  REQUIRE(doc.HasMember("AccessToken"));
  const rapidjson::Value& section = doc["AccessToken"];
  REQUIRE(section.IsObject());
  REQUIRE(section.MemberCount() > 0);
  const rapidjson::Value& json = section.MemberBegin()->value;
  const std::string json_text = Compact(json);

  // Map the entry onto the schema by hand; count the bytes of every value
  // the record must hold (a timestamp counts 8 bytes, an int64).
  AccessToken t;
  std::size_t value_bytes = 0;
  std::size_t timestamps = 0;
  for (auto m = json.MemberBegin(); m != json.MemberEnd(); ++m) {
    const std::string name = m->name.GetString();
    REQUIRE(m->value.IsString());
    const std::string value = m->value.GetString();
    if (name == "credential_type") continue;  // implied by the section
    std::string* field = nullptr;
    UnixSeconds* time = nullptr;
    if (name == "home_account_id") field = &t.home_account_id;
    if (name == "environment") field = &t.environment;
    if (name == "client_id") field = &t.client_id;
    if (name == "realm") field = &t.realm;
    if (name == "target") field = &t.target;
    if (name == "token_type") field = &t.token_type;
    if (name == "cached_at") time = &t.cached_at;
    if (name == "expires_on") time = &t.expires_on;
    if (name == "extended_expires_on") time = &t.extended_expires_on;
    if (name == "refresh_on") time = &t.refresh_on;
    if (name == "secret") {
      t.secret = SecretBytes(value);
      value_bytes += value.size();
    } else if (field != nullptr) {
      *field = value;
      value_bytes += value.size();
    } else if (time != nullptr) {
      *time = std::stoll(value);
      value_bytes += 8;
      ++timestamps;
    } else {
      FAIL("unexpected member in the fixture: " << name);
    }
  }
  REQUIRE(t.secret.size() > 500);  // a real JWT
  REQUIRE(timestamps == 3);

  Result<SecretBytes> record = EncodeRecord(t);
  REQUIRE_OK(record);
  INFO("record " << record->size() << " bytes, field values " << value_bytes
                 << " bytes, compact JSON " << json_text.size() << " bytes");
  // Per field the format adds a one-byte tag and a one- or two-byte length,
  // and the header is 6 bytes here: 64 bytes cover ten fields with room.
  CHECK(record->size() <= value_bytes + 64);
  // And it is smaller than msal-node's own JSON for the same token, whose
  // member names alone take more than the whole overhead above.
  CHECK(record->size() + 100 < json_text.size());

  Result<AccessToken> back = DecodeAccessToken(record->view());
  REQUIRE_OK(back);
  CHECK(back->secret.Equals(t.secret));
  CHECK(back->expires_on == t.expires_on);
}

}  // namespace
}  // namespace tokencache
