// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The MSAL JSON reader under hostile input: every failure is a kCorrupted
// (or kResourceExhausted) value whose message names a place, never data.

#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include "tests/serializers/snapshot_equality.h"
#include "tests/support/status_matchers.h"
#include "tokencache/serializers/json.h"

namespace tokencache {
namespace {

constexpr std::string_view kCanary = "CANARYtokenTEXTzq93kd";

// A cache whose every secret contains the canary.
std::string CanaryCache() {
  CacheSnapshot s;
  AccessToken at;
  at.home_account_id = "uid.utid";
  at.environment = "login.windows.net";
  at.client_id = "cid";
  at.realm = "utid";
  at.target = "scope";
  at.secret = SecretBytes(std::string(kCanary) + "-access");
  at.cached_at = 1700000000;
  at.expires_on = 1700003600;
  s.access_tokens.push_back(at);
  RefreshToken rt;
  rt.home_account_id = "uid.utid";
  rt.client_id = "cid";
  rt.secret = SecretBytes(std::string(kCanary) + "-refresh");
  s.refresh_tokens.push_back(rt);
  Account a;
  a.home_account_id = "uid.utid";
  TenantProfile p;
  p.tenant_id = "utid";
  p.extra = {{"secretish", "\"" + std::string(kCanary) + "\""}};
  a.tenant_profiles.push_back(p);
  s.accounts.push_back(a);
  Result<SecretBytes> bytes = NewMsalJsonSerializer()->Serialize(s);
  REQUIRE_OK(bytes);
  return std::string(bytes->view());
}

// Deserializes `input`, requires a clean failure with `code` and returns its
// message.
std::string RequireFailure(std::string_view input, Code code = Code::kCorrupted,
                      const JsonSerializerOptions& options = {}) {
  Result<CacheSnapshot> r = NewMsalJsonSerializer(options)->Deserialize(input);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == code);
  CHECK(r.status().message().rfind("msal-json: ", 0) == 0);
  CHECK(r.status().message().find(kCanary) == std::string::npos);
  return r.status().message();
}

std::string WithSecret(std::string_view tail) {
  return std::string(R"({"AccessToken":{"k":{"secret":")") +
         std::string(kCanary) + "\"" + std::string(tail);
}

TEST_CASE("every truncation of a cache fails cleanly",
          "[json][hostile][truncated]") {
  std::string full = CanaryCache();
  REQUIRE(NewMsalJsonSerializer()->Deserialize(full).ok());
  for (std::size_t n = 1; n < full.size(); ++n) {
    INFO("length " << n);
    std::string message = RequireFailure(std::string_view(full).substr(0, n));
    CHECK(message.find("byte offset") != std::string::npos);
  }
}

TEST_CASE("documents that are not an object are corrupted",
          "[json][hostile]") {
  for (std::string_view input :
       {"[]", "5", "\"text\"", "null", "true", "{} {}", "{}x", "{,}",
        "{\"a\":1,}", "// c\n{}", "{\"a\":NaN}", "{\"a\":Infinity}",
        "{'a':1}", "{\"a\" 1}"}) {
    INFO("input " << input);
    RequireFailure(input);
  }
}

TEST_CASE("wrong types for known fields are corrupted and say where",
          "[json][hostile][types]") {
  struct Case {
    std::string input;
    std::string where;
  };
  const Case cases[] = {
      {WithSecret(R"(,"client_id":5}}})"),
       "section AccessToken, entry #0, field client_id: not a string"},
      {R"({"AccessToken":{"k":{"secret":5}}})",
       "section AccessToken, entry #0, field secret: not a string"},
      {R"({"RefreshToken":{"a":{},"b":{"secret":{"x":1}}}})",
       "section RefreshToken, entry #1, field secret: not a string"},
      {R"({"IdToken":{"k":"a string"}})", "section IdToken, entry #0"},
      {R"({"AppMetadata":{"k":[1]}})", "section AppMetadata, entry #0"},
      {R"({"Account":[]})", "section Account: not an object"},
      {R"({"Account":"x"})", "section Account: not an object"},
      {R"({"AccessToken":{"k":{"ext":"x"}}})", "field ext: not an object"},
      {R"({"AccessToken":{"k":{"ext":{"a":1}}}})",
       "field ext: values must be strings"},
      {R"({"Account":{"k":{"wam_account_ids":{"a":null}}}})",
       "field wam_account_ids: values must be strings"},
      {R"({"Account":{"k":{"tenantProfiles":{}}}})",
       "field tenantProfiles: not an array"},
      {R"({"Account":{"k":{"tenantProfiles":[{}]}}})",
       "field tenantProfiles[0]: not a string"},
      {R"({"Account":{"k":{"tenantProfiles":["{\"tenantId\":1}"]}}})",
       "field tenantProfiles[0]: a field is not a string"},
      {R"({"Account":{"k":{"tenantProfiles":["[]"]}}})",
       "field tenantProfiles[0]: not a JSON object"},
      {R"({"Account":{"k":{"tenantProfiles":["{\"isHomeTenant\":\"yes\"}"]}}})",
       "field tenantProfiles[0]: isHomeTenant is not a boolean"},
      {R"({"Account":{"k":{"tenantProfiles":["{"]}}})",
       "field tenantProfiles[0]: "},
      {R"({"AccessToken":{"k":{"secret":"a","secret":"b"}}})",
       "field secret: duplicate field"},
  };
  for (const Case& c : cases) {
    INFO("input " << c.input);
    std::string message = RequireFailure(c.input);
    CHECK(message.find(c.where) != std::string::npos);
  }
}

TEST_CASE("nesting deeper than max_depth is refused without recursion",
          "[json][hostile][depth]") {
  SECTION("an unknown field") {
    std::string deep = R"({"AccessToken":{"k":{"x":)" +
                       std::string(100000, '[') + std::string(100000, ']') +
                       "}}}";
    std::string message = RequireFailure(deep);
    CHECK(message.find("nested deeper than max_depth") !=
          std::string::npos);
  }
  SECTION("an unknown section") {
    RequireFailure("{\"x\":" + std::string(65, '{') + "}");
  }
  SECTION("inside a tenant profile string") {
    std::string profile = R"(\"x\":)" + std::string(100, '[') +
                          std::string(100, ']');
    RequireFailure(R"({"Account":{"k":{"tenantProfiles":["{)" + profile +
                   R"(}"]}}})");
  }
  SECTION("a million levels with a raised limit parse on the heap") {
    JsonSerializerOptions options;
    options.max_depth = 2000000;
    std::string deep = R"({"Zeta":)" + std::string(1000000, '[') +
                       std::string(1000000, ']') + "}";
    auto serializer = NewMsalJsonSerializer(options);
    Result<CacheSnapshot> s = serializer->Deserialize(deep);
    REQUIRE_OK(s);
    REQUIRE(s->unknown_sections.size() == 1);
    Result<SecretBytes> out = serializer->Serialize(*s);
    REQUIRE_OK(out);
    CHECK(out->view().find(std::string(1000000, '[')) != std::string::npos);
  }
  SECTION("max_depth counts from the top-level object") {
    JsonSerializerOptions options;
    options.max_depth = 4;
    auto serializer = NewMsalJsonSerializer(options);
    CHECK_OK(serializer->Deserialize(R"({"A":{"k":{"x":[]}}})"));
    RequireFailure(R"({"A":{"k":{"x":[[]]}}})", Code::kCorrupted, options);
  }
}

TEST_CASE("input larger than max_input_bytes is refused before parsing",
          "[json][hostile][size]") {
  JsonSerializerOptions options;
  options.max_input_bytes = 1024;
  std::string big = CanaryCache();
  big += std::string(2048 - big.size() % 2048, ' ');
  std::string message = RequireFailure(big, Code::kResourceExhausted, options);
  CHECK(message.find("max_input_bytes") != std::string::npos);
}

TEST_CASE("huge strings are read whole", "[json][hostile][size]") {
  std::string secret(16u << 20, 'x');
  std::string input = R"({"AccessToken":{"k":{"secret":")" + secret + "\"}}}";
  Result<CacheSnapshot> s = NewMsalJsonSerializer()->Deserialize(input);
  REQUIRE_OK(s);
  CHECK(s->access_tokens.at(0).secret.size() == secret.size());
}

TEST_CASE("invalid UTF-8 and bad escapes are corrupted",
          "[json][hostile][utf8]") {
  for (std::string tail : {
           std::string("\xFF\"}}}"),            // not UTF-8 at all
           std::string("\xC0\xAF\"}}}"),        // overlong '/'
           std::string("\xED\xA0\x80\"}}}"),    // encoded surrogate
           std::string("\xE2\x82\"}}}"),        // truncated sequence
           std::string("\\ud800\"}}}"),         // lone high surrogate
           std::string("\\udc00\"}}}"),         // lone low surrogate
           std::string("\\x41\"}}}"),           // not a JSON escape
           std::string("\x01\"}}}"),            // raw control character
       }) {
    std::string input = R"({"AccessToken":{"k":{"secret":")" +
                        std::string(kCanary) + tail;
    INFO("tail " << tail.size() << " bytes");
    RequireFailure(input);
  }
  // In a name, too.
  RequireFailure("{\"AccessToken\":{\"k\":{\"\\udc00\":1}}}");
}

TEST_CASE("raw control characters are corrupted wherever they are",
          "[json][hostile][control]") {
  // rapidjson 1.1's SSE2 scanner lets 0x1A..0x1F through inside strings;
  // the reader must not (found by json_fuzz).
  for (int c = 1; c < 0x20; ++c) {
    if (c == '\t' || c == '\n' || c == '\r') continue;
    INFO("byte " << c);
    std::string in_string = WithSecret("}}}");
    in_string.insert(in_string.size() - 4, 1, static_cast<char>(c));
    std::string message = RequireFailure(in_string);
    CHECK(message.find("control character at byte offset") !=
          std::string::npos);
    // Long strings take the 16-byte SIMD path.
    std::string long_string = R"({"Zeta":")" + std::string(40, 'a') +
                              static_cast<char>(c) + std::string(40, 'a') +
                              "\"}";
    (void)RequireFailure(long_string);
  }
  // Raw tab, line feed and carriage return are white space between tokens
  // but not allowed inside strings.
  CHECK(NewMsalJsonSerializer()->Deserialize("{\t\"Zeta\"\r\n:1}").ok());
  (void)RequireFailure("{\"Zeta\":\"a\tb\"}");
  // A tenant profile is decoded from escapes, then screened the same way.
  std::string message = RequireFailure(
      R"({"Account":{"k":{"tenantProfiles":["{\"name\":\"a\u001fb\"}"]}}})");
  CHECK(message.find("tenantProfiles[0]: control character") !=
        std::string::npos);
}

TEST_CASE("NUL bytes are refused, escaped NULs are data",
          "[json][hostile][nul]") {
  std::string input = WithSecret("}}}");
  input.insert(input.size() - 3, std::string(1, '\0'));
  std::string message = RequireFailure(input);
  CHECK(message.find("NUL byte at byte offset " +
                              std::to_string(input.size() - 4)) !=
        std::string::npos);
  // After a complete document, too: it must not be silently ignored.
  RequireFailure(std::string("{}\0{", 4));

  Result<CacheSnapshot> s = NewMsalJsonSerializer()->Deserialize(
      R"({"AccessToken":{"k":{"secret":"a\u0000b"}}})");
  REQUIRE_OK(s);
  CHECK(s->access_tokens.at(0).secret.view() == std::string_view("a\0b", 3));
  Result<SecretBytes> out = NewMsalJsonSerializer()->Serialize(*s);
  REQUIRE_OK(out);
  CHECK(out->view().find("a\\u0000b") != std::string_view::npos);
}

TEST_CASE("integers beyond int64 read as malformed timestamps",
          "[json][hostile][numbers]") {
  Result<CacheSnapshot> s = NewMsalJsonSerializer()->Deserialize(
      R"({"AccessToken":{"k":{"expires_on":9223372036854775808,
          "cached_at":"-9223372036854775809",
          "x":123456789012345678901234567890123}}})");
  REQUIRE_OK(s);
  const AccessToken& at = s->access_tokens.at(0);
  CHECK(at.expires_on == 0);
  CHECK(at.cached_at == 0);
  REQUIRE(at.extra.size() == 3);
  CHECK(at.extra[0].json_value == "9223372036854775808");
  CHECK(at.extra[2].json_value == "123456789012345678901234567890123");
  // A number beyond double's range is not JSON rapidjson can represent.
  std::string message =
      RequireFailure(R"({"AccessToken":{"k":{"expires_on":1e400}}})");
  CHECK(message.find("Number too big") != std::string::npos);
  Result<CacheSnapshot> edge = NewMsalJsonSerializer()->Deserialize(
      R"({"AccessToken":{"k":{"expires_on":"9223372036854775807"}}})");
  REQUIRE_OK(edge);
  CHECK(edge->access_tokens.at(0).expires_on == INT64_MAX);
}

TEST_CASE("error messages never contain token text",
          "[json][hostile][secrets]") {
  // Failures right after, inside and around a secret.
  for (std::string tail : {
           std::string(R"(,"expires_on":{"a":)"),
           std::string(R"(,"client_id":[1]}}})"),
           std::string(R"(,"secret":"again"}}})"),
           std::string(R"(,"ext":{"k":5}}}})"),
           std::string("}}}garbage"),
           std::string(R"(,"x":)") + std::string(200, '['),
       }) {
    INFO("tail " << tail);
    RequireFailure(WithSecret(tail));
  }
  // Unknown sections and tenant profiles holding the canary.
  RequireFailure(R"({"Zeta":{"v":")" + std::string(kCanary) + "\",}}");
  RequireFailure(R"({"Account":{"k":{"tenantProfiles":["{\"tenantId\":\")" +
                 std::string(kCanary) + R"(\",}"]}}})");
}

TEST_CASE("random corruption of a cache never crashes or leaks",
          "[json][hostile][mutation]") {
  std::string base = CanaryCache();
  auto serializer = NewMsalJsonSerializer();
  std::mt19937 rng(20260101);
  int failures = 0;
  int round_trips = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string input = base;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      std::size_t pos = rng() % input.size();
      switch (rng() % 4) {
        case 0: input[pos] = static_cast<char>(rng() % 256); break;
        case 1: input.erase(pos, 1 + rng() % 8); break;
        case 2: input.insert(pos, 1, "{}[]\",:0\\n"[rng() % 10]); break;
        default: input.insert(pos, input.substr(rng() % input.size(), 16));
      }
      if (input.empty()) input = "{";
    }
    Result<CacheSnapshot> s = serializer->Deserialize(input);
    if (!s.ok()) {
      ++failures;
      CHECK(s.status().code() == Code::kCorrupted);
      CHECK(s.status().message().find(kCanary) == std::string::npos);
      continue;
    }
    Result<SecretBytes> out = serializer->Serialize(*s);
    REQUIRE_OK(out);
    Result<CacheSnapshot> back = serializer->Deserialize(out->view());
    REQUIRE_OK(back);
    CHECK(test::SnapshotDiff(*s, *back) == "");
    ++round_trips;
  }
  // Both paths were exercised.
  CHECK(failures > 100);
  CHECK(round_trips > 100);
}

}  // namespace
}  // namespace tokencache
