// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include <sodium.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "serializers/json/msal_json_reader.h"
#include "serializers/json/msal_json_writer.h"
#include "tokencache/serializers/json.h"

namespace tokencache {
namespace {

// rapidjson measures strings in 32-bit SizeType, so one document cannot be
// larger than this however the limit is set.
constexpr std::size_t kMaxRapidjsonBytes = 0xFFFFFFFEu;

class MsalJsonSerializer final : public Serializer {
 public:
  explicit MsalJsonSerializer(const JsonSerializerOptions& options)
      : max_input_bytes_(std::min(options.max_input_bytes, kMaxRapidjsonBytes)),
        max_depth_(std::max(options.max_depth, 3)),
        pretty_(options.pretty) {}

  std::string_view Name() const override { return "msal-json"; }

 protected:
  Result<SecretBytes> DoSerialize(
      const CacheSnapshot& snapshot) const override {
    internal::MsalJsonWriteOptions options;
    options.pretty = pretty_;
    options.max_depth = max_depth_;
    options.max_output_bytes = max_input_bytes_;
    return internal::WriteMsalJson(snapshot, options);
  }

  Result<CacheSnapshot> DoDeserialize(std::string_view bytes) const override {
    if (bytes.size() > max_input_bytes_) {
      return Status(Code::kResourceExhausted,
                    "msal-json: input of " + std::to_string(bytes.size()) +
                        " bytes exceeds max_input_bytes (" +
                        std::to_string(max_input_bytes_) + ")");
    }
    return internal::ReadMsalJson(bytes, max_depth_);
  }

 private:
  const std::size_t max_input_bytes_;
  const int max_depth_;
  const bool pretty_;
};

}  // namespace

std::unique_ptr<Serializer> NewMsalJsonSerializer(
    const JsonSerializerOptions& options) {
  // Cache keys hash with libsodium's SHA-256. sodium_init() is idempotent and
  // thread-safe; it fails only without an entropy source, which the hash
  // does not need, so its result is not checked.
  static const int sodium_ready = sodium_init();
  (void)sodium_ready;
  return std::make_unique<MsalJsonSerializer>(options);
}

}  // namespace tokencache
