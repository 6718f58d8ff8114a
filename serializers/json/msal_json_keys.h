// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The JSON object keys under which the MSAL JSON writer files each entity.
// They follow msal-node 7.2.3 (@azure/msal-node cache/CacheHelpers.ts), so
// that msal-node overwrites our entries in place instead of adding copies:
//
//   Account       <home_account_id>-<environment>-<realm>
//   AccessToken   <home>-<env>-accesstoken-<client_id>-<realm>-<target>-
//                 <home>-<env>-accesstoken_with_authscheme-<client_id>-
//                     <realm>-<target>-<token_type>        (non-Bearer)
//                 ...-<hash> appended when additional key components exist
//   RefreshToken  <home>-<env>-refreshtoken-<family_id or client_id>-
//                     <realm>-<target>-   (realm, target usually empty)
//   IdToken       <home>-<env>-idtoken-<client_id>-<realm>--
//   AppMetadata   appmetadata-<environment>-<client_id>
//
// All lowercased (ASCII). Readers never depend on these: MSAL .NET recomputes
// keys, Python and msal-node find entities by content.

#ifndef TOKENCACHE_SERIALIZERS_JSON_MSAL_JSON_KEYS_H_
#define TOKENCACHE_SERIALIZERS_JSON_MSAL_JSON_KEYS_H_

#include <string>
#include <string_view>

#include "tokencache/schema.h"

namespace tokencache {
namespace internal {

// True when `token_type` is empty or "Bearer" in any letter case.
bool IsBearerTokenType(std::string_view token_type);

// msal-node's hash of additional cache-key components: SHA-256 over the
// concatenation, in key order, of "<bytes(key)>:<key><bytes(value)>:<value>",
// as unpadded base64url. Empty for no components.
std::string AdditionalKeyComponentsHash(const StringPairs& components);

std::string AccountKey(const Account& account);
std::string AccessTokenKey(const AccessToken& token);
std::string RefreshTokenKey(const RefreshToken& token);
std::string IdTokenKey(const IdToken& token);
std::string AppMetadataKey(const AppMetadata& metadata);

}  // namespace internal
}  // namespace tokencache

#endif  // TOKENCACHE_SERIALIZERS_JSON_MSAL_JSON_KEYS_H_
