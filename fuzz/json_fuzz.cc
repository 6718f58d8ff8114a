// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// libFuzzer target for the MSAL JSON serializer, with a round-trip oracle:
// whatever Deserialize accepts must Serialize, Deserialize again to an equal
// snapshot, and Serialize again to the same bytes. Anything else aborts.
// The same function runs in json_fuzz_replay (a plain executable) so that CI
// replays the corpus on every build.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "tests/serializers/snapshot_equality.h"
#include "tokencache/serializers/json.h"

namespace {

[[noreturn]] void Die(const char* what, const std::string& detail) {
  std::fprintf(stderr, "json_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

// Error messages must never quote the input. Any run of 12 input bytes that
// is all letters or digits showing up in a message counts as a quote, once
// the message is stripped of our own vocabulary (section and field names,
// which a message names on purpose and an input may contain too).
void CheckMessageQuotesNothing(std::string_view input, std::string message) {
  static constexpr std::string_view kOwnWords[] = {
      "additionalCacheKeyComponents", "userAssertionHash", "nativeAccountId",
      "localAccountId", "tenantProfiles", "isHomeTenant", "RefreshToken",
      "AccessToken", "AppMetadata", "modification", "max_input_bytes"};
  for (std::string_view word : kOwnWords) {
    for (std::size_t at = message.find(word); at != std::string::npos;
         at = message.find(word)) {
      message.replace(at, word.size(), " ");
    }
  }
  constexpr std::size_t kRun = 12;
  if (input.size() < kRun) return;
  for (std::size_t i = 0; i + kRun <= input.size(); ++i) {
    bool alnum = true;
    for (std::size_t j = i; j < i + kRun && alnum; ++j) {
      char c = input[j];
      alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9');
    }
    if (alnum && message.find(input.substr(i, kRun)) != std::string::npos) {
      Die("error message quotes the input", "offset " + std::to_string(i));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  static const std::unique_ptr<tokencache::Serializer> serializer = [] {
    tokencache::JsonSerializerOptions options;
    options.max_input_bytes = std::size_t{1} << 20;
    return tokencache::NewMsalJsonSerializer(options);
  }();
  std::string_view input(reinterpret_cast<const char*>(data), size);

  tokencache::Result<tokencache::CacheSnapshot> first =
      serializer->Deserialize(input);
  if (!first.ok()) {
    tokencache::Code code = first.status().code();
    if (code != tokencache::Code::kCorrupted &&
        code != tokencache::Code::kResourceExhausted) {
      Die("unexpected error code", first.status().ToString());
    }
    CheckMessageQuotesNothing(input, first.status().message());
    return 0;
  }

  tokencache::Result<tokencache::SecretBytes> bytes =
      serializer->Serialize(*first);
  if (!bytes.ok()) Die("Serialize failed", bytes.status().ToString());

  tokencache::Result<tokencache::CacheSnapshot> second =
      serializer->Deserialize(bytes->view());
  if (!second.ok()) {
    Die("re-reading our own output failed", second.status().ToString());
  }
  std::string diff = tokencache::test::SnapshotDiff(*first, *second);
  if (!diff.empty()) Die("round trip changed a field", diff);

  tokencache::Result<tokencache::SecretBytes> again =
      serializer->Serialize(*second);
  if (!again.ok()) Die("second Serialize failed", again.status().ToString());
  if (!again->Equals(*bytes)) Die("output is not stable", "bytes differ");
  return 0;
}
