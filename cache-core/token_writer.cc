// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// CacheState::ApplyTokenResponse: what a successful token response turns
// into (msal-cache-rules.md §6). The choices where MSAL libraries differ are
// explained in docs/cache-rules.md; the comments below name them.

#include <algorithm>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "cache-core/cache_state.h"
#include "cache-core/record_key.h"
#include "cache-core/rules.h"
#include "cache-core/token_claims.h"

namespace tokencache {
namespace internal {
namespace {

UnixSeconds AddSeconds(UnixSeconds base, std::int64_t seconds) {
  // Saturate rather than overflow on absurd server values; the expiry
  // rules then reject the token as living too long.
  if (seconds > 0 && base > std::numeric_limits<UnixSeconds>::max() - seconds) {
    return std::numeric_limits<UnixSeconds>::max();
  }
  if (seconds < 0 && base < std::numeric_limits<UnixSeconds>::min() - seconds) {
    return std::numeric_limits<UnixSeconds>::min();
  }
  return base + seconds;
}

std::string JoinScopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const std::string& scope : scopes) {
    if (scope.empty()) continue;
    if (!out.empty()) out.push_back(' ');
    out += scope;
  }
  return out;
}

const std::string& FirstNonEmpty(const std::string& a, const std::string& b) {
  return a.empty() ? b : a;
}
const std::string& FirstNonEmpty(const std::string& a, const std::string& b,
                                 const std::string& c) {
  return FirstNonEmpty(FirstNonEmpty(a, b), c);
}

// The identity a response is about.
struct Identity {
  std::string home_account_id;
  std::string home_tenant;
  std::string realm;
  std::optional<ClientInfo> client_info;
  std::optional<IdTokenClaims> claims;
};

Status DeriveIdentity(const TokenRequestContext& context,
                      const TokenResponse& response, Identity* id) {
  if (!response.client_info.empty()) {
    id->client_info = DecodeClientInfo(response.client_info);
    if (!id->client_info.has_value()) {
      return InvalidArgumentError(
          "token response: client_info is not base64url JSON with uid and "
          "utid");
    }
  }
  if (!response.id_token.empty()) {
    id->claims = DecodeIdTokenClaims(response.id_token.view());
    if (!id->claims.has_value()) {
      return InvalidArgumentError(
          "token response: id_token is not a JWT with a JSON payload");
    }
  }
  // home_account_id: client_info, else the ID token's sub (ADFS), else the
  // account the request was made for (NET TokenResponseHelper).
  if (context.grant != GrantKind::kClientCredentials) {
    if (id->client_info.has_value()) {
      id->home_account_id =
          id->client_info->uid + "." + id->client_info->utid;
    } else if (id->claims.has_value() && !id->claims->sub.empty()) {
      id->home_account_id = id->claims->sub;
    } else {
      id->home_account_id = context.home_account_id;
    }
  }
  // A refresh must come back for the account it was made for (NET
  // ValidateAccountIdentifiers): storing another user's tokens under this
  // account would be a mix-up, so nothing is stored.
  if (!context.home_account_id.empty() && !id->home_account_id.empty() &&
      !EqualsIgnoreCase(context.home_account_id, id->home_account_id)) {
    return InvalidArgumentError(
        "token response: returned account differs from the requested one");
  }
  // realm: the tenant of a tenanted authority; for common/organizations
  // (and consumers) the ID token's tid, else the home tenant (NET
  // TokenResponseHelper.GetTenantId, msal-cache-rules.md §3.4).
  const std::string tid = id->claims.has_value() ? id->claims->tid : "";
  const std::string utid =
      id->client_info.has_value() ? id->client_info->utid : "";
  if (!IsTenantless(context.tenant)) {
    id->realm = context.tenant;
  } else {
    id->realm = FirstNonEmpty(tid, utid, context.tenant);
  }
  id->home_tenant = FirstNonEmpty(
      utid, std::string(HomeTenantOf(id->home_account_id)), tid);
  if (id->home_tenant.empty()) id->home_tenant = id->realm;
  return Status();
}

}  // namespace

Status CacheState::ApplyTokenResponse(const TokenRequestContext& context,
                                      const TokenResponse& response,
                                      UnixSeconds now) {
  if (context.client_id.empty()) {
    return InvalidArgumentError("token request context: client_id is empty");
  }
  if (HostOf(context.authority_host).empty()) {
    return InvalidArgumentError(
        "token request context: authority_host is empty");
  }
  if (context.grant == GrantKind::kOnBehalfOf &&
      context.user_assertion_hash.empty()) {
    return InvalidArgumentError(
        "token request context: on-behalf-of needs user_assertion_hash");
  }
  Identity id;
  if (Status s = DeriveIdentity(context, response, &id); !s.ok()) return s;
  const bool user_flow = context.grant == GrantKind::kInteractive ||
                         context.grant == GrantKind::kRefreshToken;
  if (user_flow && id.home_account_id.empty()) {
    return InvalidArgumentError(
        "token response: no client_info, no ID token subject and no "
        "requested account; cannot tell whose tokens these are");
  }

  const UnixSeconds base = context.request_time != 0 ? context.request_time
                                                     : now;
  // NET and Node write the cloud's preferred_cache host
  // (login.windows.net for the public cloud); PY writes the request's host.
  const std::string environment = PreferredCacheHost(context.authority_host);
  const std::string& uah = context.user_assertion_hash;

  // ---- Access token: delete ATs with intersecting scopes, then insert.
  if (!response.access_token.empty()) {
    AccessToken at;
    at.home_account_id = id.home_account_id;
    at.environment = environment;
    at.client_id = context.client_id;
    at.realm = id.realm;
    at.target = !response.scope.empty() ? response.scope
                                        : JoinScopes(context.scopes);
    at.secret = response.access_token;
    at.cached_at = base;
    // Missing expires_in: the token is stored already expired (NET, Node);
    // PY's 600 s guess could serve a token the server meant to be short.
    at.expires_on = AddSeconds(base, response.expires_in.value_or(0));
    at.extended_expires_on =
        response.ext_expires_in.has_value()
            ? AddSeconds(base, *response.ext_expires_in)
            : at.expires_on;
    if (response.refresh_in.has_value() && *response.refresh_in > 0) {
      at.refresh_on = AddSeconds(base, *response.refresh_in);
    }
    at.token_type =
        response.token_type.empty() ? "Bearer" : response.token_type;
    at.key_id = context.key_id;
    at.user_assertion_hash = uah;
    at.additional_key_components = context.additional_key_components;
    std::sort(at.additional_key_components.begin(),
              at.additional_key_components.end());

    Record fresh = MakeRecord(at);
    const std::string key = RecordKeyOf(fresh.entity);
    std::string prefix;
    AccessTokenPrefix(&prefix, at.home_account_id, at.client_id, at.realm,
                      uah);
    Need(prefix);
    std::vector<std::string> doomed;
    ExtraFields kept_extras;
    for (auto it = records_.lower_bound(std::string_view(prefix));
         it != records_.end() &&
         std::string_view(it->first).substr(0, prefix.size()) == prefix;
         ++it) {
      const Record& old = it->second;
      const auto* old_at = std::get_if<AccessToken>(&old.entity);
      if (old_at == nullptr || old.env_group != fresh.env_group ||
          !TokenTypesEqual(old_at->token_type, at.token_type) ||
          !EqualsIgnoreCase(old_at->key_id, at.key_id) ||
          !ComponentsEqual(old_at->additional_key_components,
                           at.additional_key_components)) {
        continue;
      }
      if (it->first == key) {
        // Same identity: an overwrite, so its unknown fields survive
        // (msal-node's per-field merge, msal-cache-rules.md §1.9).
        kept_extras = old_at->extra;
        doomed.push_back(it->first);
      } else if (ScopeSetsIntersect(old.scopes, fresh.scopes)) {
        doomed.push_back(it->first);
      }
    }
    for (const std::string& k : doomed) Erase(k);
    MergeExtras(&std::get<AccessToken>(fresh.entity).extra, kept_extras);
    Put(key, std::move(fresh));
  }

  const bool has_user = !id.home_account_id.empty();

  // ---- ID token (also on refresh), keyed by the AT's realm so that the
  // ID token of a cached AT is found from the AT's fields (NET GetIdToken).
  if (!response.id_token.empty() && has_user) {
    IdToken token;
    token.home_account_id = id.home_account_id;
    token.environment = environment;
    token.client_id = context.client_id;
    token.realm = id.realm;
    token.secret = response.id_token;
    Upsert(std::move(token));
  }

  // ---- Account: one record per (home account, cloud) whose realm is the
  // home tenant, with one tenant profile per tenant signed in to. This is
  // msal-node's shape (its silent flow for a guest tenant reads the
  // profiles); NET and PY read it as an ordinary account record.
  if (id.claims.has_value() && has_user) {
    const IdTokenClaims& claims = *id.claims;
    Account account;
    account.home_account_id = id.home_account_id;
    account.environment = environment;
    account.realm = id.home_tenant;
    const std::string key = RecordKey(account);
    const Record* existing = Find(key);
    const std::string& response_tenant = FirstNonEmpty(claims.tid, id.realm);
    const bool home_tenant_response =
        EqualsIgnoreCase(response_tenant, id.home_tenant);
    if (existing != nullptr) account = std::get<Account>(existing->entity);
    if (existing == nullptr || home_tenant_response) {
      // Fields of the home-tenant identity. A guest-tenant response only
      // adds its profile to an existing account (as msal-node does).
      account.home_account_id = id.home_account_id;
      account.environment = environment;
      account.realm = id.home_tenant;
      const std::string uid =
          id.client_info.has_value() ? id.client_info->uid : "";
      account.local_account_id = FirstNonEmpty(uid, claims.oid, claims.sub);
      account.username =
          FirstNonEmpty(claims.preferred_username, claims.upn, claims.email);
      account.authority_type =
          EqualsIgnoreCase(context.tenant, "adfs") ? "ADFS" : "MSSTS";
      if (!response.client_info.empty()) {
        account.client_info = response.client_info;
      }
      account.name = claims.name;
      account.given_name = claims.given_name;
      account.family_name = claims.family_name;
    }
    TenantProfile profile;
    profile.tenant_id = response_tenant;
    profile.local_account_id = FirstNonEmpty(claims.oid, claims.sub);
    profile.name = claims.name;
    profile.username =
        FirstNonEmpty(claims.preferred_username, claims.upn, claims.email);
    profile.upn = claims.upn;
    profile.is_home_tenant = home_tenant_response;
    auto same = std::find_if(
        account.tenant_profiles.begin(), account.tenant_profiles.end(),
        [&](const TenantProfile& p) {
          return EqualsIgnoreCase(p.tenant_id, profile.tenant_id);
        });
    if (same == account.tenant_profiles.end()) {
      account.tenant_profiles.push_back(std::move(profile));
    } else {
      // Keep what only the old profile knows (login hint, native id,
      // unknown fields).
      profile.login_hint = same->login_hint;
      profile.native_account_id = same->native_account_id;
      profile.extra = same->extra;
      *same = std::move(profile);
    }
    Put(key, MakeRecord(std::move(account)));
  }

  // ---- Refresh token. A refresh grant's new RT has the identity of the
  // one it replaces, so the rotation happens in this same mutation: no
  // reader can see the old RT after the new AT. No RT in the response
  // leaves the stored one untouched (NET re-saves the old secret).
  if (!response.refresh_token.empty() && (has_user || !uah.empty())) {
    RefreshToken rt;
    rt.home_account_id = id.home_account_id;
    rt.environment = environment;
    rt.client_id = context.client_id;
    rt.secret = response.refresh_token;
    rt.family_id = response.foci;
    rt.user_assertion_hash = uah;
    rt.last_modification_time = now;
    if (response.refresh_token_expires_in.has_value()) {
      rt.expires_on = AddSeconds(base, *response.refresh_token_expires_in);
    }
    Upsert(std::move(rt));
  }

  // ---- AppMetadata: written with every response that carries an RT (the
  // grants for which the server states family membership); a missing foci
  // clears membership, as NET and PY do (Node only writes when present).
  if (!response.refresh_token.empty()) {
    AppMetadata metadata;
    metadata.client_id = context.client_id;
    metadata.environment = environment;
    metadata.family_id = response.foci;
    Upsert(std::move(metadata));
  }
  return Status();
}

}  // namespace internal
}  // namespace tokencache
