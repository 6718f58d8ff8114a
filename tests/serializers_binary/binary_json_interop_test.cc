// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The binary format and MSAL JSON carry the same data: every msal-node
// fixture read by the JSON serializer survives the binary format (as a
// snapshot and record by record) field for field, and data only the binary
// format knows survives a trip through MSAL JSON.

#include <catch2/catch.hpp>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "tests/serializers_binary/binary_bytes.h"
#include "tests/serializers_binary/entity_diff.h"
#include "tests/support/status_matchers.h"
#include "tokencache/serializers/binary.h"
#include "tokencache/serializers/json.h"

namespace tokencache {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> Fixtures() {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(
           fs::path(TOKENCACHE_FIXTURES_DIR) / "msal-node")) {
    if (entry.path().extension() == ".json" &&
        entry.path().filename() != "MANIFEST.json") {
      out.push_back(entry.path());
    }
  }
  return out;
}

std::string Read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

template <typename T>
void CheckRecords(const std::vector<T>& entities, std::size_t* count) {
  for (const T& e : entities) {
    Result<SecretBytes> r = EncodeRecord(e);
    REQUIRE_OK(r);
    Result<AnyEntity> back = DecodeRecord(r->view());
    REQUIRE_OK(back);
    REQUIRE(std::holds_alternative<T>(*back));
    CHECK(test::Diff(std::get<T>(*back), e) == "");
    ++*count;
  }
}

TEST_CASE("Every msal-node fixture survives the binary format field for field",
          "[binary][json][interop]") {
  std::unique_ptr<Serializer> json = NewMsalJsonSerializer();
  std::unique_ptr<Serializer> binary = NewBinarySerializer();
  const std::vector<fs::path> fixtures = Fixtures();
  REQUIRE(fixtures.size() >= 4);
  std::size_t records = 0;
  for (const fs::path& path : fixtures) {
    INFO(path.filename().string());
    const std::string text = Read(path);
    Result<CacheSnapshot> from_json = json->Deserialize(text);
    REQUIRE_OK(from_json);
    REQUIRE(from_json->access_tokens.size() + from_json->refresh_tokens.size() >
            0);

    Result<SecretBytes> bytes = binary->Serialize(*from_json);
    REQUIRE_OK(bytes);
    CHECK(bytes->size() < text.size());
    Result<CacheSnapshot> from_binary = binary->Deserialize(bytes->view());
    REQUIRE_OK(from_binary);
    CHECK(test::Diff(*from_binary, *from_json) == "");

    // Written back as JSON, the detour through binary changed nothing.
    Result<SecretBytes> direct = json->Serialize(*from_json);
    Result<SecretBytes> detour = json->Serialize(*from_binary);
    REQUIRE_OK(direct);
    REQUIRE_OK(detour);
    CHECK(detour->Equals(*direct));

    CheckRecords(from_json->accounts, &records);
    CheckRecords(from_json->access_tokens, &records);
    CheckRecords(from_json->refresh_tokens, &records);
    CheckRecords(from_json->id_tokens, &records);
    CheckRecords(from_json->app_metadata, &records);
  }
  CHECK(records > 20);
}

TEST_CASE("Unknown binary fields and entry kinds survive a trip through JSON",
          "[binary][json][compat]") {
  using test::Entry;
  using test::Tlv;
  // A snapshot from a newer version: an access token with unknown field 50
  // (in a profile too) and an entry of unknown kind 9.
  const std::string body =
      Entry(1, Tlv(2, "home") + Tlv(16, Tlv(2, "tid") + Tlv(30, "p"))) +
      Entry(2, Tlv(3, "login.windows.net") + Tlv(4, "cid") +
                   Tlv(7, "secret-at") + Tlv(50, std::string("\x00\x01", 2))) +
      Entry(9, "future kind");
  const std::string original = test::Envelope(body);

  std::unique_ptr<Serializer> json = NewMsalJsonSerializer();
  std::unique_ptr<Serializer> binary = NewBinarySerializer();
  Result<CacheSnapshot> s = binary->Deserialize(original);
  REQUIRE_OK(s);
  Result<SecretBytes> as_json = json->Serialize(*s);
  REQUIRE_OK(as_json);
  Result<CacheSnapshot> through_json = json->Deserialize(as_json->view());
  REQUIRE_OK(through_json);
  Result<SecretBytes> again = binary->Serialize(*through_json);
  REQUIRE_OK(again);
  CHECK(std::string(again->view()) == original);
}

}  // namespace
}  // namespace tokencache
