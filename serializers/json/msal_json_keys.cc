// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "serializers/json/msal_json_keys.h"

#include <sodium.h>

#include <cstddef>
#include <initializer_list>
#include <string>

namespace tokencache {
namespace internal {
namespace {

char AsciiLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Joins `parts` with '-' and lowercases the result, as msal-node does
// (String.toLowerCase; only ASCII letters occur in practice).
std::string JoinLower(std::initializer_list<std::string_view> parts) {
  std::size_t size = parts.size();
  for (std::string_view part : parts) size += part.size();
  std::string key;
  key.reserve(size);
  bool first = true;
  for (std::string_view part : parts) {
    if (!first) key.push_back('-');
    first = false;
    for (char c : part) key.push_back(AsciiLower(c));
  }
  return key;
}

std::string LowerCopy(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

}  // namespace

bool IsBearerTokenType(std::string_view token_type) {
  if (token_type.empty()) return true;
  static constexpr std::string_view kBearer = "bearer";
  if (token_type.size() != kBearer.size()) return false;
  for (std::size_t i = 0; i < kBearer.size(); ++i) {
    if (AsciiLower(token_type[i]) != kBearer[i]) return false;
  }
  return true;
}

std::string AdditionalKeyComponentsHash(const StringPairs& components) {
  if (components.empty()) return std::string();
  // StringPairs is kept sorted by key, which is the order msal-node hashes
  // in (it sorts the keys first).
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  auto feed = [&state](std::string_view text) {
    std::string prefix = std::to_string(text.size()) + ":";
    crypto_hash_sha256_update(
        &state, reinterpret_cast<const unsigned char*>(prefix.data()),
        prefix.size());
    crypto_hash_sha256_update(
        &state, reinterpret_cast<const unsigned char*>(text.data()),
        text.size());
  };
  for (const auto& [name, value] : components) {
    feed(name);
    feed(value);
  }
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state, digest);
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  char encoded[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES, kVariant)];
  sodium_bin2base64(encoded, sizeof(encoded), digest, sizeof(digest),
                    kVariant);
  return std::string(encoded);
}

std::string AccountKey(const Account& account) {
  return JoinLower(
      {account.home_account_id, account.environment, account.realm});
}

std::string AccessTokenKey(const AccessToken& token) {
  const bool bearer = IsBearerTokenType(token.token_type);
  std::string scheme = bearer ? std::string() : LowerCopy(token.token_type);
  std::string key = JoinLower(
      {token.home_account_id, token.environment,
       bearer ? "accesstoken" : "accesstoken_with_authscheme", token.client_id,
       token.realm, token.target, scheme});
  if (!token.additional_key_components.empty()) {
    key.push_back('-');
    key += LowerCopy(AdditionalKeyComponentsHash(
        token.additional_key_components));
  }
  return key;
}

std::string RefreshTokenKey(const RefreshToken& token) {
  std::string_view owner =
      token.family_id.empty() ? token.client_id : token.family_id;
  // Same segments as msal-node's generateCredentialKey: realm and target are
  // empty for the refresh tokens msal-node writes, but not for Python's.
  return JoinLower({token.home_account_id, token.environment, "refreshtoken",
                    owner, token.realm, token.target, ""});
}

std::string IdTokenKey(const IdToken& token) {
  return JoinLower({token.home_account_id, token.environment, "idtoken",
                    token.client_id, token.realm, "", ""});
}

std::string AppMetadataKey(const AppMetadata& metadata) {
  return JoinLower({"appmetadata", metadata.environment, metadata.client_id});
}

}  // namespace internal
}  // namespace tokencache
