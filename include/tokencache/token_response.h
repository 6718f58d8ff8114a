// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// TokenResponse is a successful OAuth2 token-endpoint response, parsed but
// not yet interpreted; TokenRequestContext says what was asked for. Together
// they are what the cache stores after an interactive or silent acquisition
// (Cache::ApplyTokenResponse, msal-cache-rules.md §6). A TokenEndpoint
// (token_endpoint.h) produces them; SDKs with their own HTTP stack fill them
// in by hand.
//
// Plain values; no synchronization.

#ifndef TOKENCACHE_TOKEN_RESPONSE_H_
#define TOKENCACHE_TOKEN_RESPONSE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tokencache/clock.h"
#include "tokencache/schema.h"
#include "tokencache/secret.h"

namespace tokencache {

struct TokenResponse {
  SecretBytes access_token;   // access_token; empty if none was issued
  SecretBytes refresh_token;  // refresh_token; empty if none was issued
  SecretBytes id_token;       // id_token (a JWT); empty if none
  std::string token_type;     // token_type; empty means "Bearer"
  std::string scope;          // scope: granted scopes; empty = as requested
  std::optional<std::int64_t> expires_in;      // seconds
  std::optional<std::int64_t> ext_expires_in;  // seconds
  std::optional<std::int64_t> refresh_in;      // seconds
  std::optional<std::int64_t> refresh_token_expires_in;  // seconds
  std::string client_info;    // client_info: base64url JSON {uid, utid}
  std::string foci;           // foci: family id ("1") or empty
};

// How the response was obtained.
enum class GrantKind {
  kInteractive,        // authorization code, device code, password, ...
  kRefreshToken,       // a silent refresh (grant_type=refresh_token)
  kClientCredentials,  // app-only; no account
  kOnBehalfOf,         // OBO; tokens keyed by user_assertion_hash
};

struct TokenRequestContext {
  // Authority the request went to, e.g. "login.microsoftonline.com" and
  // "contoso.onmicrosoft.com", "common" or a tenant GUID.
  std::string authority_host;
  std::string tenant;
  std::string client_id;
  std::vector<std::string> scopes;  // requested scopes
  GrantKind grant = GrantKind::kInteractive;
  // For refresh and OBO grants: the account the request was made for, used
  // when the response carries neither client_info nor an ID token.
  std::string home_account_id;
  std::string key_id;  // PoP / SSH key id the token is bound to, if any
  std::string user_assertion_hash;             // OBO
  StringPairs additional_key_components;       // extra cache-key components
  // When the request was sent (the base of expires_on); 0 = now.
  UnixSeconds request_time = 0;
};

}  // namespace tokencache

#endif  // TOKENCACHE_TOKEN_RESPONSE_H_
