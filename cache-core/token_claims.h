// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Decoding of the identity a token response carries: client_info (base64url
// JSON {"uid", "utid"}) and the claims of an ID token (the JWT payload). No
// signature or audience validation happens here: the token endpoint was
// trusted when it returned them, as in every MSAL library's cache writer.

#ifndef TOKENCACHE_CACHE_CORE_TOKEN_CLAIMS_H_
#define TOKENCACHE_CACHE_CORE_TOKEN_CLAIMS_H_

#include <optional>
#include <string>
#include <string_view>

namespace tokencache {
namespace internal {

struct ClientInfo {
  std::string uid;
  std::string utid;
};

// The ID-token claims the cache uses (msal-cache-rules.md §1.3, §6.2).
// Absent claims are empty.
struct IdTokenClaims {
  std::string tid;
  std::string oid;
  std::string sub;
  std::string preferred_username;
  std::string upn;
  std::string email;
  std::string name;
  std::string given_name;
  std::string family_name;
};

// Decodes base64url (padding optional). Returns nullopt for bad input.
std::optional<std::string> DecodeBase64Url(std::string_view text);

// Returns nullopt unless `client_info` is base64url of a JSON object with
// non-empty string members uid and utid.
std::optional<ClientInfo> DecodeClientInfo(std::string_view client_info);

// Returns nullopt unless `jwt` has three dot-separated parts whose second is
// base64url of a JSON object.
std::optional<IdTokenClaims> DecodeIdTokenClaims(std::string_view jwt);

}  // namespace internal
}  // namespace tokencache

#endif  // TOKENCACHE_CACHE_CORE_TOKEN_CLAIMS_H_
